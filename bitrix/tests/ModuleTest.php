<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use Bitrix\Main\Config\Option;
use CvetyCrm\Bitrix\BitrixShop;
use CvetyCrm\Module\Installer;
use CvetyCrm\Storage\Database;
use CvetyCrm\Tests\Double\World;
use PHPUnit\Framework\TestCase;

/** The module's installer on a Bitrix site (the double) whose database is a real MariaDB. */
final class ModuleTest extends TestCase
{
    private BitrixShop $shop;
    private Database $db;
    private Installer $installer;

    protected function setUp(): void
    {
        World::reset(MariaDb::pdo());
        World::$modules = ['main' => true, 'sale' => true, 'iblock' => true, 'catalog' => true];
        $this->shop = new BitrixShop();
        $this->db = new Database($this->shop);
        $this->db->uninstall();
        $this->installer = new Installer($this->shop, $this->db);
    }

    public function test_installing_registers_the_module_its_persistent_handlers_and_agent_and_creates_utf8mb4_tables(): void
    {
        self::assertSame([], $this->installer->install('8.2.0'));

        self::assertTrue(World::$modules['cvety.crm']);
        $handlers = array_map(static fn (array $h): string => "{$h['from']}:{$h['event']} -> {$h['method']}" . ($h['compatible'] ? ' (compatible)' : ''), World::$handlers);
        self::assertSame(['sale:OnSaleOrderSaved -> onOrderSaved', 'sale:OnOrderStatusSendEmail -> onStatusEmail (compatible)',
                          'main:OnBuildGlobalMenu -> onAdminMenu'], $handlers);
        self::assertSame([['name' => Installer::AGENT, 'module' => 'cvety.crm', 'interval' => 60]], World::$agents);
        self::assertSame(Database::TABLES, $this->db->tables());
        $charsets = array_column($this->db->rows("SELECT table_name AS t, table_collation AS c FROM information_schema.tables
            WHERE table_schema = DATABASE() AND table_name LIKE 'cvety_crm_%'"), 'c');
        self::assertSame(['utf8mb4_unicode_ci'], array_values(array_unique($charsets)));
        self::assertCount(2, World::$files);
    }

    public function test_the_outbox_keeps_cyrillic_and_emoji_on_mariadb(): void
    {
        $this->installer->install('8.2.0');
        $outbox = new \CvetyCrm\Webhook\Outbox($this->db);

        $id = $outbox->add(7, 'order.create', '{"postcardText":"С днём рождения! 🌷"}', 1000);

        self::assertSame('{"postcardText":"С днём рождения! 🌷"}', $outbox->claimNext(1000)['body']);
        self::assertTrue($outbox->markFailed($id, 0, 1000, 422, 'Отказ', 0) === false);
    }

    public function test_a_fresh_install_starts_with_the_production_worker_and_the_first_site_and_keeps_what_was_set(): void
    {
        Option::set('cvety.crm', 'site_id', 'c2');

        $this->installer->install('8.2.0');

        self::assertSame('https://crm.cvety.kz/webhooks/bitrix/order', Option::get('cvety.crm', 'worker_url'));
        self::assertSame('c2', Option::get('cvety.crm', 'site_id'));
    }

    public function test_installing_twice_changes_nothing_the_second_time(): void
    {
        $this->installer->install('8.2.0');
        $this->installer->install('8.2.0');

        self::assertCount(3, World::$handlers);
        self::assertCount(1, World::$agents);
    }

    public function test_php_below_8_1_is_refused_in_words_and_nothing_is_installed(): void
    {
        $problems = $this->installer->install('8.0.30');

        self::assertSame(['Нужен PHP 8.1 или новее, на сайте PHP 8.0.30. Обновите PHP и установите модуль снова.'], $problems);
        self::assertArrayNotHasKey('cvety.crm', World::$modules);
        self::assertSame([], $this->db->tables());
        self::assertSame([], World::$handlers);
    }

    public function test_a_windows_1251_site_is_refused(): void
    {
        World::$utf8 = false;

        self::assertStringContainsString('UTF-8', implode(' ', $this->installer->install('8.2.0')));
        self::assertSame([], $this->db->tables());
    }

    public function test_a_site_without_sale_or_iblock_is_refused_naming_each(): void
    {
        unset(World::$modules['sale'], World::$modules['iblock']);

        $problems = implode(' ', $this->installer->install('8.2.0'));

        self::assertStringContainsString('Интернет-магазин (sale)', $problems);
        self::assertStringContainsString('Информационные блоки (iblock)', $problems);
        self::assertArrayNotHasKey('cvety.crm', World::$modules);
    }

    public function test_uninstalling_keeps_the_tables_and_settings_unless_asked_to_remove_them(): void
    {
        $this->installer->install('8.2.0');
        Option::set('cvety.crm', 'worker_url', 'https://crm.example.kz/webhooks/bitrix/order');

        $this->installer->uninstall(true);
        self::assertArrayNotHasKey('cvety.crm', World::$modules);
        self::assertSame([], World::$handlers);
        self::assertSame([], World::$agents);
        self::assertSame(Database::TABLES, $this->db->tables());
        self::assertSame('https://crm.example.kz/webhooks/bitrix/order', Option::get('cvety.crm', 'worker_url'));

        $this->installer->install('8.2.0');
        $this->installer->uninstall(false);
        self::assertSame([], $this->db->tables());
        self::assertSame('', Option::get('cvety.crm', 'worker_url'));
    }

    public function test_an_old_outbox_table_gets_its_new_columns_on_mariadb(): void
    {
        $this->db->run('CREATE TABLE cvety_crm_outbox (id BIGINT PRIMARY KEY AUTO_INCREMENT, order_id BIGINT NOT NULL,
            event VARCHAR(40) NOT NULL, body MEDIUMTEXT NOT NULL, created_at BIGINT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL, locked_until BIGINT, sent_at BIGINT, last_status INTEGER, last_error MEDIUMTEXT)');

        $this->installer->install('8.2.0');

        self::assertSame(['refusals' => 0, 'dead' => 0], ['refusals' => 0, 'dead' => (new \CvetyCrm\Webhook\Outbox($this->db))->status()['dead']]);
        self::assertNotNull($this->db->value("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
            AND table_name = 'cvety_crm_outbox' AND column_name = 'dead_at'"));
        self::assertSame(1, (int) $this->db->value("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
            AND table_name = 'cvety_crm_outbox' AND column_name = 'refusals'"));
    }
}
