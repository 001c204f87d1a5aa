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
        $insert = $this->db->pdo->prepare('INSERT INTO cvety_crm_outbox (order_id, event, body, created_at, next_attempt_at)
            VALUES (?, ?, ?, ?, ?)');
        $insert->execute([$orderId, $event, $body, $now, $now]);
        return (int) $this->db->pdo->lastInsertId();
    }

    /**
     * Takes the next event to send: the oldest unsent event of its order, due, and not held by
     * another sender. Null when there is none.
     *
     * @return array{id: int, order_id: int, event: string, body: string, attempts: int}|null
     */
    public function claimNext(int $now): ?array
    {
        $heads = $this->db->pdo->prepare('SELECT o.id, o.order_id, o.event, o.body, o.attempts FROM cvety_crm_outbox o
            WHERE o.sent_at IS NULL AND o.next_attempt_at <= :now AND (o.locked_until IS NULL OR o.locked_until < :now)
              AND NOT EXISTS (SELECT 1 FROM cvety_crm_outbox p
                              WHERE p.order_id = o.order_id AND p.sent_at IS NULL AND p.id < o.id)
            ORDER BY o.id LIMIT 20');
        $heads->execute(['now' => $now]);
        $claim = $this->db->pdo->prepare('UPDATE cvety_crm_outbox SET locked_until = ?
            WHERE id = ? AND sent_at IS NULL AND (locked_until IS NULL OR locked_until < ?)');
        foreach ($heads->fetchAll() as $row) {
            $claim->execute([$now + self::LEASE_SECONDS, $row['id'], $now]);
            if ($claim->rowCount() === 1) {
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
        $this->db->pdo->prepare('UPDATE cvety_crm_outbox SET sent_at = ?, attempts = attempts + 1, last_status = ?,
            locked_until = NULL WHERE id = ?')->execute([$now, $status, $id]);
    }

    /** Records a failed attempt; the event is due again `$delay` seconds later. */
    public function markFailed(int $id, int $attempts, int $now, ?int $status, string $error, int $delay): void
    {
        $next = $now + $delay;
        $this->db->pdo->prepare('UPDATE cvety_crm_outbox SET attempts = ?, next_attempt_at = ?, last_status = ?,
            last_error = ?, locked_until = NULL WHERE id = ?')
            ->execute([$attempts + 1, $next, $status, mb_substr($error, 0, 500), $id]);
    }

    /** @return array{unsent: int, failing: int, oldest_unsent_at: ?int, last_error: ?string} */
    public function status(): array
    {
        $row = $this->db->pdo->query('SELECT COUNT(*) AS unsent, SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS failing,
            MIN(created_at) AS oldest FROM cvety_crm_outbox WHERE sent_at IS NULL')->fetch();
        $error = $this->db->pdo->query('SELECT last_error FROM cvety_crm_outbox
            WHERE sent_at IS NULL AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1')->fetchColumn();
        return [
            'unsent' => (int) $row['unsent'],
            'failing' => (int) ($row['failing'] ?? 0),
            'oldest_unsent_at' => $row['oldest'] === null ? null : (int) $row['oldest'],
            'last_error' => $error === false ? null : (string) $error,
        ];
    }

    /** Deletes sent events older than KEEP_SENT_SECONDS, at most $limit; returns how many. */
    public function prune(int $now, int $limit = 1000): int
    {
        $old = $this->db->pdo->prepare('SELECT id FROM cvety_crm_outbox WHERE sent_at IS NOT NULL AND sent_at < ?
            ORDER BY id LIMIT ' . (int) $limit);
        $old->execute([$now - self::KEEP_SENT_SECONDS]);
        $ids = $old->fetchAll(\PDO::FETCH_COLUMN);
        if ($ids === []) {
            return 0;
        }
        $marks = implode(',', array_fill(0, count($ids), '?'));
        $this->db->pdo->prepare("DELETE FROM cvety_crm_outbox WHERE id IN ($marks)")->execute($ids);
        return count($ids);
    }
}
