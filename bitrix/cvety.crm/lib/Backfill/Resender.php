<?php
declare(strict_types=1);

namespace CvetyCrm\Backfill;

use CvetyCrm\Shop\Shop;
use CvetyCrm\Webhook\OrderSaved;

/**
 * The backfill of the outbox page: puts order.update events for existing orders in the outbox
 * (an id range, or the orders changed since a date), a batch at a time, at most $perSecond a
 * second, remembering the last id done (Progress) so that a stopped run goes on where it stopped.
 * The events go through the same outbox and the same idempotent webhook path as any other.
 */
final class Resender
{
    public const BATCH = 50;

    /** @var callable(float): void */
    private $sleep;
    /** @var callable(string): void */
    private $say;

    public function __construct(
        private Shop $shop,
        private OrderSaved $events,
        private Progress $progress,
        private float $perSecond = 5.0,
        ?callable $sleep = null,
        ?callable $say = null,
    ) {
        $this->sleep = $sleep ?? static function (float $seconds): void {
            usleep((int) ($seconds * 1_000_000));
        };
        $this->say = $say ?? static function (string $line): void {
            fwrite(STDOUT, $line . PHP_EOL);
        };
    }

    /**
     * Resends the orders with ids in [$fromId, $toId] (or above $fromId changed since $since).
     *
     * @return int how many were put in the outbox by this run
     */
    public function run(int $fromId, ?int $toId, ?\DateTimeImmutable $since, int $maxOrders = PHP_INT_MAX): int
    {
        $task = Progress::task($fromId, $toId, $since?->format('Y-m-d'));
        $state = $this->progress->lastId($task);
        $after = max($fromId - 1, $state);
        if ($state > 0) {
            ($this->say)("resend: resuming after order $state ($task)");
        }
        $reason = 'resend:' . substr(hash('sha256', $task), 0, 12);
        $done = 0;
        $started = microtime(true);
        while ($done < $maxOrders) {
            $ids = $this->shop->orderIds($after, min(self::BATCH, $maxOrders - $done), $toId, $since);
            if ($ids === []) {
                $this->progress->finish($task, time());
                break;
            }
            foreach ($ids as $id) {
                $record = $this->shop->orderRecord($id);
                $queued = 0;
                if ($record !== null) {
                    $this->events->resend($record, $reason);
                    $done++;
                    $queued = 1;
                }
                $after = $id;
                $this->progress->done($task, $after, $queued);
                // The pace: never more than $perSecond orders a second, on average.
                $ahead = $done / $this->perSecond - (microtime(true) - $started);
                if ($ahead > 0) {
                    ($this->sleep)($ahead);
                }
            }
            ($this->say)(sprintf('resend: %d orders queued, last id %d (%s)', $done, $after, $task));
        }
        ($this->say)(sprintf('resend: done, %d orders queued in this run, last id %d', $done, $after));
        return $done;
    }
}
