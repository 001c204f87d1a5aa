<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use Bitrix\Main\Config\Option;
use CvetyCrm\Admin\OutboxPage;
use CvetyCrm\Admin\Settings;
use CvetyCrm\Admin\SettingsPage;
use CvetyCrm\Config;
use CvetyCrm\Module\Installer;
use CvetyCrm\Tests\Double\World;

/** The settings page's save and checks, and the outbox page, on the double of a Bitrix site. */
final class AdminPagesTest extends BitrixCase
{
    private const HEALTH = 'http://worker.test/health';

    private function settings(): Settings
    {
        return new Settings($this->shop, $this->worker, $this->kit->outbox);
    }

    private function checks(): array
    {
        return $this->settings()->checks(Config::from(Option::getForModule(Installer::MODULE), []));
    }

    public function test_every_check_is_green_on_a_site_set_up_as_the_readme_says(): void
    {
        World::$statuses += ['RD' => 'Готов', 'DE' => 'Отложен'];
        $this->worker->pages[self::HEALTH] = [200, '{"ok":true,"webhook_auth":"signature"}'];

        $checks = $this->checks();

        self::assertSame([], array_keys(array_filter($checks, static fn (array $c): bool => !$c['ok'])), json_encode($checks, JSON_UNESCAPED_UNICODE));
        self::assertSame('http://worker.test/webhooks/bitrix/outbox', $this->worker->requests[0]['url']);
        self::assertStringContainsString('Все проверки пройдены', SettingsPage::render($this->kit->config, $checks, [], [], '/x', ''));
    }

    public function test_each_check_says_in_russian_what_is_wrong(): void
    {
        $this->worker->pages[self::HEALTH] = [200, '{"ok":true,"webhook_auth":"token"}'];
        World::$orderProperties = array_values(array_filter(World::$orderProperties, static fn (array $p): bool => $p['code'] !== 'crmTrackUrl'));
        World::$enums[158]['property'] = 42; // 158 belongs to another iblock's IN_STOCK
        Option::set(Installer::MODULE, Config::BUYER_USER_ID, '1');
        Option::set(Installer::MODULE, Config::DELIVERY_ID, '9');

        $checks = $this->checks();

        self::assertStringContainsString('ждёт токен', $checks[Config::WORKER_URL]['text']);
        self::assertStringContainsString('RD, DE', $checks[Settings::STATUSES]['text']);
        self::assertStringContainsString('crmTrackUrl', $checks[Settings::PROPERTIES]['text']);
        self::assertStringContainsString('158 не принадлежат', $checks[Config::CATALOG_IBLOCK_ID]['text']);
        self::assertStringContainsString('администратор', $checks[Config::BUYER_USER_ID]['text']);
        self::assertSame('В магазине нет такого: 9', $checks[Config::DELIVERY_ID]['text']);
        self::assertSame(['ok' => true, 'text' => 'Kaspi'], $checks[Config::PAY_SYSTEM_ID]);
        self::assertFalse($checks[Config::WORKER_URL]['ok']);
    }

    public function test_a_secret_the_worker_does_not_share_is_found_by_a_signed_report(): void
    {
        $this->worker->pages[self::HEALTH] = [200, '{"ok":true,"webhook_auth":"signature"}'];
        $this->worker->script = [401];

        self::assertSame(['ok' => false, 'text' => 'Worker не принял подпись: секрет в Worker другой'], $this->checks()[Config::SIGNING_SECRET]);
    }

    public function test_a_worker_that_does_not_answer_is_named_with_its_address(): void
    {
        self::assertStringContainsString('Worker не отвечает (http://worker.test/health)', $this->checks()[Config::WORKER_URL]['text']);
    }

    public function test_saving_refuses_bad_values_beside_their_fields_and_keeps_the_secrets_when_left_empty(): void
    {
        $problems = $this->settings()->save([Config::WORKER_URL => 'https://crm.cvety.kz/', Config::SIGNING_SECRET => 'secret',
            Config::GATEWAY_TOKEN => 'short', Config::BUYER_USER_ID => 'один', Config::SITE_ID => 's1']);

        self::assertSame([Config::WORKER_URL, Config::SIGNING_SECRET, Config::GATEWAY_TOKEN, Config::BUYER_USER_ID], array_keys($problems));
        self::assertSame('http://worker.test/webhooks/bitrix/order', Option::get(Installer::MODULE, Config::WORKER_URL));

        self::assertSame([], $this->settings()->save([Config::WORKER_URL => 'https://crm.cvety.kz/webhooks/bitrix/order',
            Config::SIGNING_SECRET => '', Config::GATEWAY_TOKEN => '', Config::BUYER_USER_ID => '77', Config::SITE_ID => 's1']));
        self::assertSame('https://crm.cvety.kz/webhooks/bitrix/order', Option::get(Installer::MODULE, Config::WORKER_URL));
        self::assertSame(KitCase::SECRET, Option::get(Installer::MODULE, Config::SIGNING_SECRET));
        self::assertStringNotContainsString(KitCase::SECRET, SettingsPage::render($this->kit->config, [], [], [], '/x', ''));
    }

    public function test_a_dead_event_is_shown_and_retried_or_skipped_from_the_outbox_page(): void
    {
        $first = $this->storefrontOrder()->getId();
        $this->worker->script = array_fill(0, 5, 422);
        for ($i = 0; $i < 5; $i++) {
            $this->kit->sender()->flush();
            $this->kit->db->run('UPDATE cvety_crm_outbox SET next_attempt_at = 0');
        }
        $page = new OutboxPage($this->kit, time());
        $dead = $this->kit->outbox->dead();
        self::assertCount(1, $dead);
        self::assertStringContainsString("заказа $first 5 раз подряд: оно остановлено", World::$eventLog[0]['DESCRIPTION']);
        self::assertArrayHasKey(\CvetyCrm\Bitrix\BitrixShop::ALARM_TAG, World::$adminNotify);
        $html = $page->render('/bitrix/admin/cvety_crm_outbox.php', '', '', false);
        self::assertStringContainsString('Остановлены: <b>1</b>', $html);
        self::assertStringContainsString('value="Повторить"', $html);

        self::assertStringContainsString('снова в очереди', $page->act(['action' => 'retry', 'id' => (string) $dead[0]['id']]));
        self::assertSame(0, $this->kit->outbox->status()['dead']);
        self::assertStringContainsString('не остановлено', $page->act(['action' => 'skip', 'id' => (string) $dead[0]['id']]));
        self::assertSame(1, $this->kit->outbox->status()['unsent']);
        self::assertSame($first, $this->kit->outbox->waiting()[0]['order_id']);
    }

    public function test_a_backfill_by_id_range_runs_a_step_per_page_load_until_done(): void
    {
        $ids = [];
        for ($i = 0; $i < 25; $i++) {
            $ids[] = $this->storefrontOrder()->getId();
        }
        $this->kit->db->run('DELETE FROM cvety_crm_outbox');
        $page = new OutboxPage($this->kit, time());

        self::assertStringContainsString('начата', $page->act(['action' => 'backfill', 'from_id' => (string) $ids[0], 'to_id' => (string) $ids[24]]));
        self::assertTrue($page->step(static function (float $s): void {
        }));
        self::assertSame(OutboxPage::STEP, $this->kit->outbox->status()['unsent']);
        self::assertStringContainsString('http-equiv="refresh"', $page->render('/x', '', '', true));
        self::assertFalse($page->step(static function (float $s): void {
        }));
        self::assertSame(25, $this->kit->outbox->status()['unsent']);
        self::assertStringContainsString('Отправка закончена', $page->render('/x', '', '', false));
        self::assertStringContainsString('Укажите номера', $page->act(['action' => 'backfill', 'from_id' => '10', 'to_id' => '5']));
    }
}
