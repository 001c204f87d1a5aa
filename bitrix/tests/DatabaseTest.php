<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Storage\Database;
use PHPUnit\Framework\TestCase;

final class DatabaseTest extends TestCase
{
    public function testAnOutboxMadeBeforeDeadEventsGetsItsNewColumnsAndKeepsItsRows(): void
    {
        $db = Database::connect('sqlite::memory:');
        // The table as the first installs made it.
        $db->pdo()->exec('CREATE TABLE cvety_crm_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id BIGINT NOT NULL,
            event VARCHAR(40) NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL, locked_until BIGINT, sent_at BIGINT, last_status INTEGER, last_error TEXT)');
        $db->pdo()->exec("INSERT INTO cvety_crm_outbox (order_id, event, body, created_at, next_attempt_at) VALUES (7, 'order.create', '{}', 1, 1)");

        $db->install();
        $db->install();

        $row = $db->pdo()->query('SELECT order_id, refusals, dead_at FROM cvety_crm_outbox')->fetch();
        self::assertSame([7, 0, null], [(int) $row['order_id'], (int) $row['refusals'], $row['dead_at']]);
    }
}
