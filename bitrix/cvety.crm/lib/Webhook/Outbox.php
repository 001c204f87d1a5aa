<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

use CvetyCrm\Storage\Database;

/**
 * The webhook outbox (cvety_crm_outbox): every event is written here inside the order's save
 * and sent later; it leaves only when the Worker answered 2xx. An order's events leave one at
 * a time, in the order they happened: only the oldest unsent event of an order is ever sent.
 */
final class Outbox
{
    /** How long a sender holds an event it took (another sender skips it meanwhile). */
    public const LEASE_SECONDS = 30;
    /** Sent events are kept this long, then pruned. */
    public const KEEP_SENT_SECONDS = 30 * 86400;

    public function __construct(private Database $db)
    {
    }

    public function add(int $orderId, string $event, string $body, int $now): int
    {
        return $this->db->insert('INSERT INTO cvety_crm_outbox (order_id, event, body, created_at, next_attempt_at)
            VALUES (?, ?, ?, ?, ?)', [$orderId, $event, $body, $now, $now]);
    }

    /**
     * Takes the next event to send: the oldest unsent event of its order, due, and not held by
     * another sender. Null when there is none.
     *
     * @return array{id: int, order_id: int, event: string, body: string, attempts: int}|null
     */
    public function claimNext(int $now): ?array
    {
        $heads = $this->db->rows('SELECT o.id, o.order_id, o.event, o.body, o.attempts FROM cvety_crm_outbox o
            WHERE o.sent_at IS NULL AND o.dead_at IS NULL AND o.next_attempt_at <= ?
              AND (o.locked_until IS NULL OR o.locked_until < ?)
              AND NOT EXISTS (SELECT 1 FROM cvety_crm_outbox p
                              WHERE p.order_id = o.order_id AND p.sent_at IS NULL AND p.dead_at IS NULL AND p.id < o.id)
            ORDER BY o.id LIMIT 20', [$now, $now]);
        foreach ($heads as $row) {
            $claimed = $this->db->run('UPDATE cvety_crm_outbox SET locked_until = ?
                WHERE id = ? AND sent_at IS NULL AND (locked_until IS NULL OR locked_until < ?)',
                [$now + self::LEASE_SECONDS, (int) $row['id'], $now]);
            if ($claimed === 1) {
                return [
                    'id' => (int) $row['id'],
                    'order_id' => (int) $row['order_id'],
                    'event' => (string) $row['event'],
                    'body' => (string) $row['body'],
                    'attempts' => (int) $row['attempts'],
                ];
            }
        }
        return null;
    }

    public function markSent(int $id, int $now, int $status): void
    {
        $this->db->run('UPDATE cvety_crm_outbox SET sent_at = ?, attempts = attempts + 1, last_status = ?,
            locked_until = NULL WHERE id = ?', [$now, $status, $id]);
    }

    /**
     * Records a failed attempt; the event is due again `$delay` seconds later, or, refused by the
     * Worker RetryPolicy::DEAD_AFTER_REFUSALS times in a row, dead. Answers whether it is dead.
     */
    public function markFailed(int $id, int $attempts, int $now, ?int $status, string $error, int $delay): bool
    {
        // Read, then written with plain values: MySQL evaluates SET clauses left to right on the
        // new values, SQLite on the old ones.
        $current = (int) $this->db->value('SELECT refusals FROM cvety_crm_outbox WHERE id = ?', [$id]);
        $refusals = RetryPolicy::isRefusal($status) ? $current + 1 : 0;
        $dead = $refusals >= RetryPolicy::DEAD_AFTER_REFUSALS;
        $this->db->run('UPDATE cvety_crm_outbox SET attempts = ?, next_attempt_at = ?, last_status = ?,
            last_error = ?, locked_until = NULL, refusals = ?, dead_at = ? WHERE id = ?',
            [$attempts + 1, $now + $delay, $status, mb_substr($error, 0, 500), $refusals, $dead ? $now : null, $id]);
        return $dead;
    }

    /** Puts a dead event back in line, due now, its refusals forgotten; false if it is not dead. */
    public function retry(int $id, int $now): bool
    {
        return $this->db->run('UPDATE cvety_crm_outbox SET dead_at = NULL, refusals = 0, next_attempt_at = ?
            WHERE id = ? AND dead_at IS NOT NULL AND sent_at IS NULL', [$now, $id]) === 1;
    }

    /**
     * Gives up a dead event for good: marked sent with no answer (last_status 0), so the record
     * stays (pruned like any sent one) and says it was skipped. False if it is not dead.
     */
    public function skip(int $id, int $now): bool
    {
        $error = (string) $this->db->value('SELECT last_error FROM cvety_crm_outbox WHERE id = ?', [$id]);
        return $this->db->run('UPDATE cvety_crm_outbox SET sent_at = ?, last_status = 0, last_error = ?
            WHERE id = ? AND dead_at IS NOT NULL AND sent_at IS NULL',
            [$now, mb_substr(trim($error . ' (skipped)'), 0, 500), $id]) === 1;
    }

    /**
     * What waits (unsent and alive, of which failing), what is dead, since when the oldest
     * waits, and the newest error.
     *
     * @return array{unsent: int, failing: int, dead: int, oldest_unsent_at: ?int, last_error: ?string}
     */
    public function status(): array
    {
        $row = $this->db->row('SELECT SUM(CASE WHEN dead_at IS NULL THEN 1 ELSE 0 END) AS unsent,
            SUM(CASE WHEN dead_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END) AS failing,
            SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END) AS dead,
            MIN(CASE WHEN dead_at IS NULL THEN created_at END) AS oldest FROM cvety_crm_outbox WHERE sent_at IS NULL') ?? [];
        $error = $this->db->value('SELECT last_error FROM cvety_crm_outbox
            WHERE sent_at IS NULL AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1');
        return [
            'unsent' => (int) ($row['unsent'] ?? 0),
            'failing' => (int) ($row['failing'] ?? 0),
            'dead' => (int) ($row['dead'] ?? 0),
            'oldest_unsent_at' => ($row['oldest'] ?? null) === null ? null : (int) $row['oldest'],
            'last_error' => $error === null ? null : (string) $error,
        ];
    }

    /**
     * The dead events, newest first, at most $limit: what to retry or skip.
     *
     * @return list<array{id: int, order_id: int, event: string, attempts: int, last_status: ?int, last_error: ?string, dead_at: int}>
     */
    public function dead(int $limit = 100): array
    {
        return array_map(self::event(...), $this->db->rows('SELECT id, order_id, event, attempts, last_status, last_error,
            created_at, next_attempt_at, dead_at FROM cvety_crm_outbox WHERE dead_at IS NOT NULL AND sent_at IS NULL
            ORDER BY id DESC LIMIT ' . max(1, $limit)));
    }

    /**
     * The events still to send (alive, unsent), oldest first, at most $limit: failing ones carry
     * their last answer and error.
     *
     * @return list<array{id: int, order_id: int, event: string, attempts: int, last_status: ?int, last_error: ?string, created_at: int, next_attempt_at: int, dead_at: ?int}>
     */
    public function waiting(int $limit = 100): array
    {
        return array_map(self::event(...), $this->db->rows('SELECT id, order_id, event, attempts, last_status, last_error,
            created_at, next_attempt_at, dead_at FROM cvety_crm_outbox WHERE dead_at IS NULL AND sent_at IS NULL
            ORDER BY id LIMIT ' . max(1, $limit)));
    }

    /** Deletes sent events older than KEEP_SENT_SECONDS, at most $limit; returns how many. */
    public function prune(int $now, int $limit = 1000): int
    {
        $ids = array_map('intval', array_column($this->db->rows('SELECT id FROM cvety_crm_outbox
            WHERE sent_at IS NOT NULL AND sent_at < ? ORDER BY id LIMIT ' . (int) $limit, [$now - self::KEEP_SENT_SECONDS]), 'id'));
        if ($ids === []) {
            return 0;
        }
        $this->db->run('DELETE FROM cvety_crm_outbox WHERE id IN (' . implode(',', $ids) . ')');
        return count($ids);
    }

    private static function event(array $r): array
    {
        return [
            'id' => (int) $r['id'], 'order_id' => (int) $r['order_id'], 'event' => (string) $r['event'],
            'attempts' => (int) $r['attempts'], 'last_status' => $r['last_status'] === null ? null : (int) $r['last_status'],
            'last_error' => $r['last_error'], 'created_at' => (int) $r['created_at'],
            'next_attempt_at' => (int) $r['next_attempt_at'],
            'dead_at' => $r['dead_at'] === null ? null : (int) $r['dead_at'],
        ];
    }
}
