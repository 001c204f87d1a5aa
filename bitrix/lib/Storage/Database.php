<?php
declare(strict_types=1);

namespace CvetyCrm\Storage;

use PDO;

/**
 * The kit's own database (SQLite or MySQL through PDO): the webhook outbox and the gateway's
 * idempotency keys. Bitrix's own tables are never touched here; Bitrix changes only through
 * its API (Bitrix\BitrixShop).
 */
final class Database
{
    public function __construct(public readonly PDO $pdo)
    {
        $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
        $pdo->setAttribute(PDO::ATTR_DEFAULT_FETCH_MODE, PDO::FETCH_ASSOC);
        if ($this->isSqlite()) {
            // Several PHP workers (the gateway, the agent) share the file: wait for a lock
            // instead of failing, and let readers work beside the writer.
            $pdo->exec('PRAGMA busy_timeout = 5000');
            $pdo->exec('PRAGMA journal_mode = WAL');
        }
    }

    public static function connect(string $dsn, ?string $user = null, ?string $password = null): self
    {
        return new self(new PDO($dsn, $user, $password, [PDO::ATTR_TIMEOUT => 5]));
    }

    public function isSqlite(): bool
    {
        return $this->pdo->getAttribute(PDO::ATTR_DRIVER_NAME) === 'sqlite';
    }

    /** Creates the kit's tables when they are missing (bin/install.php; tests). */
    public function install(): void
    {
        $id = $this->isSqlite() ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGINT PRIMARY KEY AUTO_INCREMENT';
        $text = $this->isSqlite() ? 'TEXT' : 'MEDIUMTEXT';
        $key = $this->isSqlite() ? 'TEXT' : 'VARCHAR(200)';
        $this->pdo->exec("CREATE TABLE IF NOT EXISTS cvety_crm_outbox (
            id $id,
            order_id BIGINT NOT NULL,
            event VARCHAR(40) NOT NULL,
            body $text NOT NULL,
            created_at BIGINT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL,
            locked_until BIGINT,
            sent_at BIGINT,
            last_status INTEGER,
            last_error $text,
            refusals INTEGER NOT NULL DEFAULT 0,
            dead_at BIGINT
        )");
        // Added after the first installs: a table made before has them added.
        $this->addColumn('cvety_crm_outbox', 'refusals', 'INTEGER NOT NULL DEFAULT 0');
        $this->addColumn('cvety_crm_outbox', 'dead_at', 'BIGINT');
        $this->createIndex('cvety_crm_outbox_pending', 'cvety_crm_outbox', 'sent_at, order_id, id');
        $this->pdo->exec("CREATE TABLE IF NOT EXISTS cvety_crm_gateway_requests (
            request_key $key NOT NULL PRIMARY KEY,
            request_hash CHAR(64) NOT NULL,
            state VARCHAR(10) NOT NULL,
            status INTEGER,
            answer $text,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )");
        $this->createIndex('cvety_crm_gateway_requests_created', 'cvety_crm_gateway_requests', 'created_at');
    }

    private function addColumn(string $table, string $column, string $type): void
    {
        if ($this->isSqlite()) {
            $columns = $this->pdo->query("PRAGMA table_info($table)")->fetchAll(PDO::FETCH_COLUMN, 1);
            $exists = in_array($column, $columns, true);
        } else {
            $find = $this->pdo->prepare('SELECT COUNT(*) FROM information_schema.columns
                WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?');
            $find->execute([$table, $column]);
            $exists = (int) $find->fetchColumn() > 0;
        }
        if (!$exists) {
            $this->pdo->exec("ALTER TABLE $table ADD COLUMN $column $type");
        }
    }

    private function createIndex(string $name, string $table, string $columns): void
    {
        if ($this->isSqlite()) {
            $this->pdo->exec("CREATE INDEX IF NOT EXISTS $name ON $table ($columns)");
            return;
        }
        $exists = $this->pdo->prepare('SELECT COUNT(*) FROM information_schema.statistics
            WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?');
        $exists->execute([$table, $name]);
        if ((int) $exists->fetchColumn() === 0) {
            $this->pdo->exec("CREATE INDEX $name ON $table ($columns)");
        }
    }
}
