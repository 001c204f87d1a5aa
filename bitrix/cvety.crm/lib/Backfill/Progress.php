<?php
declare(strict_types=1);

namespace CvetyCrm\Backfill;

use CvetyCrm\Storage\Database;

/**
 * A backfill's progress in cvety_crm_backfill: its task (an id range or a date), the last order
 * it did, how many it did, when it started and finished. The outbox page starts one and moves it
 * on a step at a time; a stopped one goes on where it stopped.
 */
final class Progress
{
    public function __construct(private Database $db)
    {
    }

    /** Starts a backfill (the one running is replaced). */
    public function start(int $fromId, ?int $toId, ?string $since, int $now): string
    {
        $task = self::task($fromId, $toId, $since);
        $this->db->run('DELETE FROM cvety_crm_backfill');
        $this->db->insert('INSERT INTO cvety_crm_backfill (task, from_id, to_id, since, last_id, queued, started_at)
            VALUES (?, ?, ?, ?, 0, 0, ?)', [$task, $fromId, $toId, $since, $now]);
        return $task;
    }

    public static function task(int $fromId, ?int $toId, ?string $since): string
    {
        return sprintf('from=%d to=%s since=%s', $fromId, $toId ?? '-', $since ?? '-');
    }

    /** @return array{task: string, from_id: int, to_id: ?int, since: ?string, last_id: int, queued: int, started_at: int, finished_at: ?int}|null */
    public function current(): ?array
    {
        $row = $this->db->row('SELECT * FROM cvety_crm_backfill ORDER BY id DESC LIMIT 1');
        if ($row === null) {
            return null;
        }
        return [
            'task' => (string) $row['task'], 'from_id' => (int) $row['from_id'],
            'to_id' => $row['to_id'] === null ? null : (int) $row['to_id'], 'since' => $row['since'],
            'last_id' => (int) $row['last_id'], 'queued' => (int) $row['queued'], 'started_at' => (int) $row['started_at'],
            'finished_at' => $row['finished_at'] === null ? null : (int) $row['finished_at'],
        ];
    }

    /** The last order done for $task (0: none yet). */
    public function lastId(string $task): int
    {
        return (int) $this->db->value('SELECT last_id FROM cvety_crm_backfill WHERE task = ?', [$task]);
    }

    public function done(string $task, int $lastId, int $queued): void
    {
        if ($this->db->run('UPDATE cvety_crm_backfill SET last_id = ?, queued = queued + ? WHERE task = ?', [$lastId, $queued, $task]) === 0
            && $this->db->value('SELECT COUNT(*) FROM cvety_crm_backfill WHERE task = ?', [$task]) == 0) {
            $this->db->insert('INSERT INTO cvety_crm_backfill (task, from_id, last_id, queued, started_at) VALUES (?, 0, ?, ?, ?)',
                [$task, $lastId, $queued, time()]);
        }
    }

    public function finish(string $task, int $now): void
    {
        $this->db->run('UPDATE cvety_crm_backfill SET finished_at = ? WHERE task = ?', [$now, $task]);
    }
}
