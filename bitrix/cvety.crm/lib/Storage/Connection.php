<?php
declare(strict_types=1);

namespace CvetyCrm\Storage;

/**
 * A database connection the kit's tables live on: Bitrix's own (Bitrix\BitrixShop, so an event
 * is written inside the order's save, on the same connection and transaction), or a PDO one
 * (PdoConnection: tests, the whole-path stand-in). Statements arrive with their values already
 * quoted by quote().
 */
interface Connection
{
    /** 'mysql' or 'sqlite': the few statements that differ ask. */
    public function driver(): string;

    /** Runs a statement; returns the number of rows it changed. */
    public function execute(string $sql): int;

    /** @return list<array<string, mixed>> */
    public function select(string $sql): array;

    /** The id the last INSERT made. */
    public function insertedId(): int;

    /** A value as an SQL literal (quotes included). */
    public function quote(string $value): string;

    public function begin(): void;

    public function commit(): void;

    public function rollback(): void;
}
