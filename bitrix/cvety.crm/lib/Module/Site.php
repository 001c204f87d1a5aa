<?php
declare(strict_types=1);

namespace CvetyCrm\Module;

/**
 * What the module needs from the Bitrix site around it: to register itself, its handlers and
 * agent, to copy its files, its options, the event log and admin notifications, and what the
 * settings page checks. Bitrix\BitrixShop implements it with Bitrix's API (the only class that
 * calls it); the tests' double of that API runs it.
 */
interface Site
{
    public function isUtf8(): bool;

    public function hasModule(string $module): bool;

    /** Bitrix's connection type: 'mysql' (the kit's SQL is MySQL's). */
    public function databaseType(): string;

    public function registerModule(string $module): void;

    public function unregisterModule(string $module): void;

    /** A persistent handler (b_module_to_module): $compatible ones get the event's old-style arguments. */
    public function registerHandler(string $fromModule, string $event, string $module, string $class, string $method, bool $compatible): void;

    public function unregisterHandler(string $fromModule, string $event, string $module, string $class, string $method, bool $compatible): void;

    public function addAgent(string $call, string $module, int $intervalSeconds): void;

    public function removeAgents(string $module): void;

    /** Copies the files of $from into the site's $to (relative to the document root). */
    public function copyFiles(string $from, string $to): void;

    /** Deletes from the site's $to the files $from has. */
    public function deleteFiles(string $from, string $to): void;

    /** @return array<string, string> the module's saved options */
    public function options(string $module): array;

    public function setOption(string $module, string $name, string $value): void;

    public function deleteOptions(string $module): void;

    /** Tells the administrators: the event log (Журнал событий) and a notice atop the admin panel. */
    public function alarm(string $module, string $tag, string $message): void;

    /** Takes a notice of that tag away (what it said is fixed). */
    public function calm(string $tag): void;

    /** @return array<string, string> the order statuses, id => name */
    public function statuses(): array;

    public function orderPropertyExists(string $code, int $personTypeId): bool;

    /** @return array{iblock: int, code: string}|null the iblock and code of a list value's property */
    public function listValueProperty(int $enumId): ?array;

    /**
     * The name of a site (LID), person type, delivery service or pay system by its id, or null
     * when the site has none such.
     *
     * @param 'site'|'person_type'|'delivery'|'pay_system' $kind
     */
    public function entityName(string $kind, string $id): ?string;

    /** @return array{active: bool, admin: bool}|null */
    public function user(int $id): ?array;
}
