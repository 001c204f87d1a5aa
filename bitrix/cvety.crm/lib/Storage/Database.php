<?php
declare(strict_types=1);

namespace CvetyCrm\Storage;

use PDO;

/**
 * The kit's tables (the webhook outbox, the gateway's idempotency keys, the backfill's progress)
 * on a Connection: in production Bitrix's own database through Bitrix's connection, created by
 * the module's installer in utf8mb4. Bitrix's own tables are never touched here: Bitrix changes
 * only through its API (Bitrix\BitrixShop).
 */
final class Database
{
    /** The kit's tables, in the order uninstall drops them. */
    public const TABLES = ['cvety_crm_outbox', 'cvety_crm_gateway_requests', 'cvety_crm_backfill'];

    public readonly Connection $connection;

    public function __construct(PDO|Connection $connection)
    {
        $this->connection = $connection instanceof PDO ? new PdoConnection($connection) : $connection;
    }

    public static function connect(string $dsn, ?string $user = null, ?string $password = null): self
    {
        return new self(new PDO($dsn, $user, $password, [PDO::ATTR_TIMEOUT => 5]));
    }

    /** The PDO under a PDO connection (tests look at the tables with it). */
    public function pdo(): PDO
    {
        $connection = $this->connection;
        return $connection instanceof PdoConnection ? $connection->pdo : throw new \LogicException('not a PDO connection');
    }

    public function isSqlite(): bool
    {
        return $this->connection->driver() === 'sqlite';
    }

    /** Runs a statement with `?` placeholders; returns the rows it changed. */
    public function run(string $sql, array $params = []): int
    {
        return $this->connection->execute($this->bind($sql, $params));
    }

    /** @return list<array<string, mixed>> */
    public function rows(string $sql, array $params = []): array
    {
        return $this->connection->select($this->bind($sql, $params));
    }

    /** @return array<string, mixed>|null the first row */
    public function row(string $sql, array $params = []): ?array
    {
        return $this->rows($sql, $params)[0] ?? null;
    }

    /** The first column of the first row, or null. */
    public function value(string $sql, array $params = []): mixed
    {
        $row = $this->row($sql, $params);
        return $row === null ? null : array_values($row)[0];
    }

    /** Runs an INSERT; returns the id it made. */
    public function insert(string $sql, array $params = []): int
    {
        $this->run($sql, $params);
        return $this->connection->insertedId();
    }

    /**
     * Puts each value in place of its `?` (outside quoted text): null as NULL, numbers as
     * themselves, text quoted by the connection.
     */
    public function bind(string $sql, array $params): string
    {
        $params = array_values($params);
        $out = '';
        $next = 0;
        $quoted = false;
        $length = strlen($sql);
        for ($i = 0; $i < $length; $i++) {
            $char = $sql[$i];
            if ($char === "'") {
                $quoted = !$quoted;
            } elseif ($char === '?' && !$quoted) {
                if (!array_key_exists($next, $params)) {
                    throw new \InvalidArgumentException("SQL has more placeholders than values: $sql");
                }
                $value = $params[$next++];
                $out .= match (true) {
                    $value === null => 'NULL',
                    is_int($value) => (string) $value,
                    is_bool($value) => $value ? '1' : '0',
                    is_float($value) => sprintf('%.6F', $value),
                    default => $this->connection->quote((string) $value),
                };
                continue;
            }
            $out .= $char;
        }
        if ($next !== count($params)) {
            throw new \InvalidArgumentException("SQL has fewer placeholders than values: $sql");
        }
        return $out;
    }

    /**
     * Runs $work in one transaction: all of it is kept, or none.
     *
     * @template T
     * @param callable(): T $work
     * @return T
     */
    public function transaction(callable $work): mixed
    {
        $this->connection->begin();
        try {
            $result = $work();
        } catch (\Throwable $failure) {
            $this->connection->rollback();
            throw $failure;
        }
        $this->connection->commit();
        return $result;
    }

    /** Creates the kit's tables when they are missing (the module's installer; tests). */
    public function install(): void
    {
        $sqlite = $this->isSqlite();
        $id = $sqlite ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGINT PRIMARY KEY AUTO_INCREMENT';
        $text = $sqlite ? 'TEXT' : 'MEDIUMTEXT';
        $key = $sqlite ? 'TEXT' : 'VARCHAR(191)';
        // Bitrix's database may default to another charset: the kit's tables say theirs, so a
        // Cyrillic name or an emoji in a postcard survives (MySQL's utf8 is three bytes).
        $table = $sqlite ? '' : ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
        $this->connection->execute("CREATE TABLE IF NOT EXISTS cvety_crm_outbox (
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
        )$table");
        // Added after the first installs: a table made before has them added.
        $this->addColumn('cvety_crm_outbox', 'refusals', 'INTEGER NOT NULL DEFAULT 0');
        $this->addColumn('cvety_crm_outbox', 'dead_at', 'BIGINT');
        $this->createIndex('cvety_crm_outbox_pending', 'cvety_crm_outbox', 'sent_at, order_id, id');
        $this->connection->execute("CREATE TABLE IF NOT EXISTS cvety_crm_gateway_requests (
            request_key $key NOT NULL PRIMARY KEY,
            request_hash CHAR(64) NOT NULL,
            state VARCHAR(10) NOT NULL,
            status INTEGER,
            answer $text,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )$table");
        $this->createIndex('cvety_crm_gateway_requests_created', 'cvety_crm_gateway_requests', 'created_at');
        $this->connection->execute("CREATE TABLE IF NOT EXISTS cvety_crm_backfill (
            id $id,
            task VARCHAR(200) NOT NULL,
            from_id BIGINT NOT NULL,
            to_id BIGINT,
            since VARCHAR(10),
            last_id BIGINT NOT NULL DEFAULT 0,
            queued INTEGER NOT NULL DEFAULT 0,
            started_at BIGINT NOT NULL,
            finished_at BIGINT
        )$table");
    }

    /** Drops the kit's tables (uninstall, when the administrator asks for the data to go). */
    public function uninstall(): void
    {
        foreach (self::TABLES as $table) {
            $this->connection->execute("DROP TABLE IF EXISTS $table");
        }
    }

    /** @return list<string> which of the kit's tables exist */
    public function tables(): array
    {
        $present = [];
        foreach (self::TABLES as $table) {
            $found = $this->isSqlite()
                ? $this->value("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [$table])
                : $this->value('SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?', [$table]);
            if ((int) $found > 0) {
                $present[] = $table;
            }
        }
        return $present;
    }

    private function addColumn(string $table, string $column, string $type): void
    {
        if ($this->isSqlite()) {
            $columns = array_column($this->rows("PRAGMA table_info($table)"), 'name');
            $exists = in_array($column, $columns, true);
        } else {
            $exists = (int) $this->value('SELECT COUNT(*) FROM information_schema.columns
                WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?', [$table, $column]) > 0;
        }
        if (!$exists) {
            $this->connection->execute("ALTER TABLE $table ADD COLUMN $column $type");
        }
    }

    private function createIndex(string $name, string $table, string $columns): void
    {
        if ($this->isSqlite()) {
            $this->connection->execute("CREATE INDEX IF NOT EXISTS $name ON $table ($columns)");
            return;
        }
        $exists = (int) $this->value('SELECT COUNT(*) FROM information_schema.statistics
            WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?', [$table, $name]);
        if ($exists === 0) {
            $this->connection->execute("CREATE INDEX $name ON $table ($columns)");
        }
    }
}
