<?php
declare(strict_types=1);

namespace CvetyCrm\Backfill;

use CvetyCrm\Shop\Shop;
use CvetyCrm\Webhook\OrderSaved;

/**
 * bin/resend.php's work: puts order.update events for existing orders in the outbox (an id
 * range, or the orders changed since a date), a batch at a time, at most $perSecond a second,
 * remembering the last id done in a state file so that a stopped run goes on where it stopped.
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
        private string $stateFile,
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
        $task = sprintf('from=%d to=%s since=%s', $fromId, $toId ?? '-', $since?->format('Y-m-d') ?? '-');
        $state = $this->load($task);
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
                break;
            }
            foreach ($ids as $id) {
                $record = $this->shop->orderRecord($id);
                if ($record !== null) {
                    $this->events->resend($record, $reason);
                    $done++;
                }
                $after = $id;
                $this->save($task, $after);
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

    private function load(string $task): int
    {
        if (!is_file($this->stateFile)) {
            return 0;
        }
        $state = json_decode((string) file_get_contents($this->stateFile), true);
        return is_array($state) && ($state['task'] ?? null) === $task ? (int) ($state['last_id'] ?? 0) : 0;
    }

    private function save(string $task, int $lastId): void
    {
        file_put_contents($this->stateFile, json_encode(['task' => $task, 'last_id' => $lastId]), LOCK_EX);
    }
}
