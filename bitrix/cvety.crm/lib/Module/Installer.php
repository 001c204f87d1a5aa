<?php
declare(strict_types=1);

namespace CvetyCrm\Module;

use CvetyCrm\Storage\Database;

/**
 * Installs and removes the module cvety.crm, as install/index.php asks (Marketplace → Установленные
 * решения): refuses a site it would hurt, with the reasons in Russian; registers the module, its
 * persistent handlers and its agent; creates its tables in Bitrix's database; copies the gateway
 * and the admin page. Uninstall takes all of that away and drops the tables only when asked.
 */
final class Installer
{
    public const MODULE = 'cvety.crm';
    public const MIN_PHP = '8.1.0';
    public const REQUIRED_MODULES = ['sale' => 'Интернет-магазин (sale)', 'iblock' => 'Информационные блоки (iblock)'];
    private const SHOP = 'CvetyCrm\\Bitrix\\BitrixShop';
    /** [from module, event, method, compatible] */
    public const HANDLERS = [
        ['sale', 'OnSaleOrderSaved', 'onOrderSaved', false],
        // sale/lib/compatible/eventcompatibility.php: handler($orderId, &$eventName, &$fields, $statusId).
        ['sale', 'OnOrderStatusSendEmail', 'onStatusEmail', true],
        ['main', 'OnBuildGlobalMenu', 'onAdminMenu', false],
    ];
    /** The agent: sends the outbox when no page did, prunes, reports to the Worker. Every minute. */
    public const AGENT = '\\CvetyCrm\\Bitrix\\BitrixShop::agent();';
    public const AGENT_SECONDS = 60;
    /** The module's files copied into the site: the gateway's entry and the outbox page. */
    public const FILES = ['install/tools' => 'bitrix/tools/cvety.crm', 'install/admin' => 'bitrix/admin'];

    /** Settings a fresh install starts with (the production Worker, Bitrix's first site); kept when set. */
    public const DEFAULTS = [
        \CvetyCrm\Config::WORKER_URL => 'https://crm.cvety.kz/webhooks/bitrix/order',
        \CvetyCrm\Config::SITE_ID => 's1',
    ];

    public function __construct(private Site $site, private Database $db)
    {
    }

    /**
     * Why the module cannot be installed here, in Russian; empty when it can.
     *
     * @return list<string>
     */
    public function problems(string $phpVersion = PHP_VERSION): array
    {
        $problems = [];
        if (version_compare($phpVersion, self::MIN_PHP, '<')) {
            $problems[] = "Нужен PHP 8.1 или новее, на сайте PHP $phpVersion. Обновите PHP и установите модуль снова.";
        }
        if (!$this->site->isUtf8()) {
            $problems[] = 'Сайт работает не в UTF-8 (windows-1251): кириллица в заказах исказится. Модуль работает только на сайте в UTF-8.';
        }
        foreach (self::REQUIRED_MODULES as $module => $name) {
            if (!$this->site->hasModule($module)) {
                $problems[] = "Не установлен модуль «{$name}»: без него модулю нечего передавать.";
            }
        }
        if ($this->site->databaseType() !== 'mysql') {
            $problems[] = 'База данных сайта не MySQL: таблицы модуля рассчитаны на MySQL/MariaDB.';
        }
        return $problems;
    }

    /**
     * Installs; returns the problems that stopped it (nothing was changed then).
     *
     * @return list<string>
     */
    public function install(string $phpVersion = PHP_VERSION): array
    {
        $problems = $this->problems($phpVersion);
        if ($problems !== []) {
            return $problems;
        }
        $this->db->install();
        foreach (self::FILES as $from => $to) {
            $this->site->copyFiles($from, $to);
        }
        $this->site->registerModule(self::MODULE);
        foreach (self::HANDLERS as [$from, $event, $method, $compatible]) {
            $this->site->registerHandler($from, $event, self::MODULE, self::SHOP, $method, $compatible);
        }
        $this->site->addAgent(self::AGENT, self::MODULE, self::AGENT_SECONDS);
        $saved = $this->site->options(self::MODULE);
        foreach (self::DEFAULTS as $name => $value) {
            if (($saved[$name] ?? '') === '') {
                $this->site->setOption(self::MODULE, $name, $value);
            }
        }
        return [];
    }

    /** Removes the module; its tables and settings go only when $keepData is false. */
    public function uninstall(bool $keepData): void
    {
        $this->site->removeAgents(self::MODULE);
        foreach (self::HANDLERS as [$from, $event, $method, $compatible]) {
            $this->site->unregisterHandler($from, $event, self::MODULE, self::SHOP, $method, $compatible);
        }
        foreach (self::FILES as $from => $to) {
            $this->site->deleteFiles($from, $to);
        }
        if (!$keepData) {
            $this->db->uninstall();
            $this->site->deleteOptions(self::MODULE);
        }
        $this->site->unregisterModule(self::MODULE);
    }
}
