<?php
declare(strict_types=1);

namespace CvetyCrm\Gateway;

use CvetyCrm\Storage\Database;

/**
 * The gateway's Idempotency-Key records (cvety_crm_gateway_requests): each key with the hash of
 * its request and, once answered, the answer. A repeat gets the first answer; the same key with
 * another request is refused; a key whose first request is still running is "in flight".
 */
final class IdempotencyStore
{
    /** A request running longer than this is taken to have died, and its key may run again. */
    public const IN_FLIGHT_SECONDS = 60;
    /** Answers are kept at least this long (the contract says 7 days). */
    public const KEEP_SECONDS = 8 * 86400;

    public const NEW = 'new';
    public const REPLAY = 'replay';
    public const CONFLICT = 'conflict';
    public const IN_FLIGHT = 'in_flight';

    public function __construct(private Database $db)
    {
    }

    /**
     * Starts a request under $key.
     *
     * @return array{0: string, 1: ?int, 2: ?array<string, mixed>} the verdict (NEW, REPLAY,
     *   CONFLICT, IN_FLIGHT) and, for REPLAY, the first answer's status and body
     */
    public function begin(string $key, string $hash, int $now): array
    {
        // A key released between the insert and the read is tried again, a few times at most.
        for ($try = 0; $try < 3; $try++) {
            $verdict = $this->tryBegin($key, $hash, $now);
            if ($verdict !== null) {
                return $verdict;
            }
        }
        return [self::IN_FLIGHT, null, null];
    }

    /** @return array{0: string, 1: ?int, 2: ?array<string, mixed>}|null */
    private function tryBegin(string $key, string $hash, int $now): ?array
    {
        $insert = $this->db->isSqlite()
            ? 'INSERT OR IGNORE INTO cvety_crm_gateway_requests (request_key, request_hash, state, created_at, updated_at)
               VALUES (?, ?, \'in_flight\', ?, ?)'
            : 'INSERT IGNORE INTO cvety_crm_gateway_requests (request_key, request_hash, state, created_at, updated_at)
               VALUES (?, ?, \'in_flight\', ?, ?)';
        if ($this->db->run($insert, [$key, $hash, $now, $now]) === 1) {
            return [self::NEW, null, null];
        }
        $row = $this->db->row('SELECT request_hash, state, status, answer, updated_at
            FROM cvety_crm_gateway_requests WHERE request_key = ?', [$key]);
        if ($row === null) {
            return null;
        }
        if (!hash_equals((string) $row['request_hash'], $hash)) {
            return [self::CONFLICT, null, null];
        }
        if ($row['state'] === 'done') {
            return [self::REPLAY, (int) $row['status'], json_decode((string) $row['answer'], true)];
        }
        if ((int) $row['updated_at'] > $now - self::IN_FLIGHT_SECONDS) {
            return [self::IN_FLIGHT, null, null];
        }
        // The first request died mid-way: this one takes the key over (once, however many try).
        $taken = $this->db->run('UPDATE cvety_crm_gateway_requests SET updated_at = ?
            WHERE request_key = ? AND state = \'in_flight\' AND updated_at = ?', [$now, $key, (int) $row['updated_at']]);
        return $taken === 1 ? [self::NEW, null, null] : [self::IN_FLIGHT, null, null];
    }

    /** Keeps the answer for repeats. */
    public function finish(string $key, int $status, array $answer, int $now): void
    {
        $this->db->run('UPDATE cvety_crm_gateway_requests SET state = \'done\', status = ?, answer = ?, updated_at = ?
            WHERE request_key = ?', [$status, json_encode($answer, JSON_UNESCAPED_UNICODE), $now, $key]);
    }

    /** Forgets a key whose request may succeed if sent again (a 5xx): the retry runs it anew. */
    public function release(string $key): void
    {
        $this->db->run('DELETE FROM cvety_crm_gateway_requests WHERE request_key = ?', [$key]);
    }

    /** Deletes answers older than KEEP_SECONDS, at most $limit. */
    public function prune(int $now, int $limit = 1000): int
    {
        $keys = array_column($this->db->rows('SELECT request_key FROM cvety_crm_gateway_requests WHERE created_at < ? LIMIT '
            . (int) $limit, [$now - self::KEEP_SECONDS]), 'request_key');
        foreach ($keys as $key) {
            $this->release((string) $key);
        }
        return count($keys);
    }
}
