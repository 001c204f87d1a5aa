<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use PDO;
use PHPUnit\Framework\Assert;

/**
 * The real MariaDB the module's SQL runs on in the tests (Debian's package, started by
 * scripts/mariadb.sh; `make test` sets CVETY_TEST_MYSQL_DSN). One fresh database per test run.
 */
final class MariaDb
{
    private static ?string $database = null;

    public static function pdo(): PDO
    {
        $dsn = getenv('CVETY_TEST_MYSQL_DSN') ?: '';
        if ($dsn === '') {
            Assert::fail('CVETY_TEST_MYSQL_DSN is not set: run `bash scripts/mariadb.sh up` and export '
                . 'CVETY_TEST_MYSQL_DSN="$(bash scripts/mariadb.sh dsn)" (make test does)');
        }
        $server = new PDO($dsn, 'bitrix', 'dev-bitrix-db', [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
        if (self::$database === null) {
            self::$database = 'bitrix_test_' . getmypid();
            $server->exec('DROP DATABASE IF EXISTS ' . self::$database);
            // The server's default charset is utf8mb4, but a site's database may be latin1 or
            // utf8 (three bytes): the test database is latin1 so that only the module's own
            // table options can make Cyrillic and emoji survive.
            $server->exec('CREATE DATABASE ' . self::$database . ' CHARACTER SET latin1');
            register_shutdown_function(static function () use ($server): void {
                $server->exec('DROP DATABASE IF EXISTS ' . self::$database);
            });
        }
        $pdo = new PDO($dsn . ';dbname=' . self::$database, 'bitrix', 'dev-bitrix-db', [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
        return $pdo;
    }
}
