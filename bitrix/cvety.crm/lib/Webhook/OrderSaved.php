<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/**
 * The sale:OnSaleOrderSaved handler's logic: which event a save is, the webhook body for it
 * (with the CRM change key when the gateway made the save), written to the outbox inside the
 * save, and a flush after the answer. It never calls the network inside the save.
 */
final class OrderSaved
{
    public const CREATE = 'order.create';
    public const UPDATE = 'order.update';
    public const STATUS_CHANGE = 'order.status.change';

    /** @var callable(): int */
    private $clock;
    /** @var \Closure(): Sender built on first use: recording needs no secret */
    private \Closure $sender;

    public function __construct(
        private Outbox $outbox,
        private Deferrer $deferrer,
        Sender|\Closure $sender,
        ?callable $clock = null,
    ) {
        $this->sender = $sender instanceof Sender ? static fn (): Sender => $sender : $sender;
        $this->clock = $clock ?? static fn (): int => time();
    }

    /**
     * The event a save is: a new order is order.create; a changed STATUS_ID (VALUES holds the old
     * values of the changed fields) is order.status.change; any other change is order.update; a
     * save that changed nothing is no event.
     *
     * @param array<string, mixed> $oldValues
     */
    public static function eventFor(bool $isNew, bool $isChanged, array $oldValues): ?string
    {
        if ($isNew) {
            return self::CREATE;
        }
        if (array_key_exists('STATUS_ID', $oldValues)) {
            return self::STATUS_CHANGE;
        }
        return ($isChanged || $oldValues !== []) ? self::UPDATE : null;
    }

    /**
     * Records the save's event; returns the outbox id, or null when the save is no event.
     *
     * @param array<string, mixed> $record the order as saved (see Mapper)
     * @param array<string, mixed> $oldValues
     */
    public function handle(array $record, bool $isNew, bool $isChanged, array $oldValues): ?int
    {
        $event = self::eventFor($isNew, $isChanged, $oldValues);
        if ($event === null) {
            return null;
        }
        $id = $this->outbox->add((int) $record['ID'], $event, Mapper::body($event, $record, ChangeMarker::current()),
            ($this->clock)());
        $this->scheduleFlush();
        return $id;
    }

    /** Puts the current state of an existing order in the outbox again, as order.update. */
    public function resend(array $record, string $reason): int
    {
        $id = $this->outbox->add((int) $record['ID'], self::UPDATE, Mapper::body(self::UPDATE, $record, null, $reason),
            ($this->clock)());
        $this->scheduleFlush();
        return $id;
    }

    private bool $flushScheduled = false;

    /** One flush per request, after the answer, however many saves it made. */
    private function scheduleFlush(): void
    {
        if ($this->flushScheduled) {
            return;
        }
        $this->flushScheduled = true;
        $this->deferrer->defer(function (): void {
            $this->flushScheduled = false;
            ($this->sender)()->flush(50, 10);
        });
    }
}
