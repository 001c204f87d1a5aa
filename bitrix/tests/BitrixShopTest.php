<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use Bitrix\Main\HttpRequest;
use Bitrix\Main\HttpResponse;
use Bitrix\Main\Config\Option;
use CvetyCrm\Bitrix\BitrixShop;
use CvetyCrm\Config;
use CvetyCrm\Module\Installer;
use CvetyCrm\Shop\ShopError;
use CvetyCrm\Tests\Double\World;

/** Bitrix\BitrixShop against the double of sale, iblock and main (tests/Double). */
final class BitrixShopTest extends BitrixCase
{
    private function refusal(callable $act): ShopError
    {
        try {
            $act();
        } catch (ShopError $error) {
            return $error;
        }
        self::fail('no ShopError');
    }

    public function test_a_crm_order_is_saved_whole_in_the_sites_currency_with_one_create_event_in_the_outbox(): void
    {
        $id = $this->shop->createOrder($this->crmOrder());

        $order = \Bitrix\Sale\Order::load($id);
        self::assertSame('KZT', $order->getCurrency());
        self::assertSame(9000.0, $order->getPrice());
        self::assertSame(1500.0, $order->getDeliveryPrice());
        self::assertSame('9000.0000', number_format((float) World::rows('SELECT SUM FROM b_sale_order_payment WHERE ORDER_ID = ?', [$id])[0]['SUM'], 4, '.', ''));
        self::assertSame($id, $this->shop->findOrderByCrmId('8f14e45f-ceea-4e7a-9c6f-1a2b3c4d5e01'));
        self::assertSame('С днём рождения! 🌷', World::rows("SELECT VALUE FROM b_sale_order_props_value WHERE CODE = 'postcardText'")[0]['VALUE']);
        self::assertSame(["order.create $id"], $this->outbox());
    }

    public function test_an_order_in_another_currency_is_refused_with_422_and_nothing_is_saved(): void
    {
        $error = $this->refusal(fn () => $this->shop->createOrder($this->crmOrder(['currency' => 'USD'])));

        self::assertSame([422, 'currency_mismatch'], [$error->status, $error->error]);
        self::assertStringContainsString('USD', $error->getMessage());
        self::assertSame([], $this->orders());
    }

    public function test_a_save_bitrix_reports_as_successful_with_warnings_keeps_nothing_not_even_the_event(): void
    {
        // A required property left empty: sale's verify() makes it a warning and saves anyway.
        $error = $this->refusal(fn () => $this->shop->createOrder($this->crmOrder(['properties' => ['nameRecipient' => '']])));

        self::assertSame([422, 'bitrix_refused'], [$error->status, $error->error]);
        self::assertStringContainsString('nameRecipient', $error->getMessage());
        self::assertSame([], $this->orders());
        self::assertSame([], World::rows('SELECT * FROM b_sale_basket'));
        self::assertSame([], $this->outbox());
    }

    public function test_an_order_whose_properties_bitrix_failed_to_save_is_rolled_back_whole(): void
    {
        World::$failPropertySave = true;

        $error = $this->refusal(fn () => $this->shop->createOrder($this->crmOrder()));

        self::assertSame('bitrix_refused', $error->error);
        self::assertSame([], $this->orders());
        self::assertNull($this->shop->findOrderByCrmId('8f14e45f-ceea-4e7a-9c6f-1a2b3c4d5e01'));
    }

    public function test_a_total_other_than_the_one_bitrix_computes_is_refused_and_nothing_is_saved(): void
    {
        $error = $this->refusal(fn () => $this->shop->createOrder($this->crmOrder(['price' => '9500.00'])));

        self::assertSame([422, 'total_mismatch'], [$error->status, $error->error]);
        self::assertStringContainsString('9000', $error->getMessage());
        self::assertSame([], $this->orders());
    }

    public function test_a_product_the_catalogue_does_not_have_is_404_and_nothing_is_saved(): void
    {
        $error = $this->refusal(fn () => $this->shop->createOrder($this->crmOrder(['basket' => [['product_id' => 99999]]])));

        self::assertSame([404, 'product_not_found'], [$error->status, $error->error]);
        self::assertSame([], $this->orders());
    }

    public function test_a_product_bitrix_will_not_sell_in_that_quantity_is_409_and_nothing_is_saved(): void
    {
        World::$stock[15652] = 0.0;

        $error = $this->refusal(fn () => $this->shop->createOrder($this->crmOrder()));

        self::assertSame([409, 'product_not_available'], [$error->status, $error->error]);
        self::assertSame([], $this->orders());
    }

    public function test_sales_emails_stay_off_for_crm_orders_and_on_for_the_storefronts(): void
    {
        $this->shop->createOrder($this->crmOrder());
        self::assertSame([], World::$mails);

        $order = $this->storefrontOrder();
        self::assertSame(['SALE_NEW_ORDER:' . $order->getId()], World::$mails);
    }

    public function test_crm_orders_belong_to_the_buyer_account_of_the_settings_never_the_administrator(): void
    {
        $id = $this->shop->createOrder($this->crmOrder());
        self::assertSame(77, \Bitrix\Sale\Order::load($id)->getUserId());

        Option::delete(Installer::MODULE, ['name' => Config::BUYER_USER_ID]);
        $this->boot();
        $error = $this->refusal(fn () => $this->shop->createOrder($this->crmOrder(['crm_order_id' => '8f14e45f-ceea-4e7a-9c6f-1a2b3c4d5e02'])));
        self::assertSame([503, 'kit_not_configured'], [$error->status, $error->error]);
        self::assertCount(1, $this->orders());
    }

    public function test_a_status_change_saved_in_bitrix_is_an_order_status_change_event_as_the_core_sends_it(): void
    {
        $order = $this->storefrontOrder();
        $loaded = \Bitrix\Sale\Order::load($order->getId());
        $loaded->setField('STATUS_ID', 'AP');
        $loaded->save();
        $loaded = \Bitrix\Sale\Order::load($order->getId());
        $loaded->getPropertyCollection();
        foreach ($loaded->getPropertyCollection() as $property) {
            if ($property->getField('CODE') === 'addressRecipient') {
                $property->setValue('Алматы, Сатпаева 1');
            }
        }
        $loaded->save();
        // A save that changed nothing: IS_CHANGED false, VALUES empty, no event.
        \Bitrix\Sale\Order::load($order->getId())->save();

        $id = $order->getId();
        self::assertSame(["order.create $id", "order.status.change $id", "order.update $id"], $this->outbox());
    }

    public function test_setting_availability_writes_158_or_159_in_the_products_own_iblock_and_reads_it_back(): void
    {
        $this->shop->setAvailability(15652, false);
        self::assertSame(159, World::$elements[15652]['properties']['IN_STOCK']);
        $this->shop->setAvailability(15652, true);
        self::assertSame(158, World::$elements[15652]['properties']['IN_STOCK']);
    }

    public function test_availability_of_an_offer_whose_iblock_has_no_in_stock_is_refused_in_words(): void
    {
        $error = $this->refusal(fn () => $this->shop->setAvailability(18001, false));

        self::assertSame([422, 'in_stock_missing'], [$error->status, $error->error]);
        self::assertStringContainsString('торгового предложения', $error->getMessage());
        self::assertArrayNotHasKey('IN_STOCK', World::$elements[18001]['properties']);
    }

    public function test_availability_bitrix_did_not_keep_is_an_error_not_a_silent_success(): void
    {
        World::$ignorePropertyWrites = true;

        $error = $this->refusal(fn () => $this->shop->setAvailability(15652, false));

        self::assertSame('availability_not_kept', $error->error);
    }

    public function test_an_event_that_cannot_be_written_is_told_to_the_event_log_and_the_admin_panel(): void
    {
        $this->kit->db->run('DROP TABLE cvety_crm_outbox');

        $order = $this->storefrontOrder();

        self::assertCount(1, World::$eventLog);
        self::assertSame('ERROR', World::$eventLog[0]['SEVERITY']);
        self::assertStringContainsString("Заказ {$order->getId()} сохранён", World::$eventLog[0]['DESCRIPTION']);
        self::assertArrayHasKey(BitrixShop::ALARM_TAG, World::$adminNotify);
    }

    public function test_the_gateway_reads_bitrixs_request_and_answers_through_bitrixs_response(): void
    {
        $body = json_encode(['action' => 'order.create', 'idempotency_key' => '8f14e45f-ceea-4e7a-9c6f-1a2b3c4d5e01:create', 'order' => ['status_id' => 'N', 'price' => '9000.00', 'price_delivery' => '1500.00',
            'currency' => 'KZT'], 'crm_order_id' => '8f14e45f-ceea-4e7a-9c6f-1a2b3c4d5e01', 'basket' => $this->crmOrder()['basket'],
            'properties' => $this->crmOrder()['properties']], JSON_UNESCAPED_UNICODE);
        $request = new HttpRequest(['X-Api-Token' => KitCase::TOKEN, 'Idempotency-Key' => '8f14e45f-ceea-4e7a-9c6f-1a2b3c4d5e01:create'], [], $body);

        $response = BitrixShop::answerGateway($this->kit, $request, new HttpResponse());

        self::assertSame('200', $response->status, $response->content);
        self::assertSame('application/json; charset=utf-8', $response->headers['Content-Type']);
        self::assertSame((string) $this->shop->findOrderByCrmId('8f14e45f-ceea-4e7a-9c6f-1a2b3c4d5e01'), (string) json_decode($response->content, true)['bitrix_order_id']);
    }

    public function test_an_edit_is_saved_through_the_loaded_order_once(): void
    {
        $id = $this->shop->createOrder($this->crmOrder());

        $saved = $this->shop->updateOrder($id, ['properties' => ['addressRecipient' => 'Алматы, Сатпаева 1'], 'price_delivery' => '2000'],
            null, ['properties' => ['addressRecipient' => 'Алматы, Абая 1'], 'price_delivery' => '1500']);

        self::assertSame(['changed' => true, 'overwritten' => []], $saved);
        self::assertSame(9500.0, \Bitrix\Sale\Order::load($id)->getPrice());
        self::assertSame(["order.create $id", "order.update $id"], $this->outbox());
    }

    public function test_a_save_is_recorded_even_before_the_settings_hold_any_secret(): void
    {
        foreach (Config::ALL as $name) {
            Option::delete(Installer::MODULE, ['name' => $name]);
        }
        $this->boot();

        $order = $this->storefrontOrder();

        self::assertSame(['order.create ' . $order->getId()], $this->outbox());
        self::assertSame([], World::$eventLog);
    }

    public function test_an_edit_bitrix_saves_with_warnings_is_rolled_back_whole(): void
    {
        $id = $this->shop->createOrder($this->crmOrder());

        $error = $this->refusal(fn () => $this->shop->updateOrder($id, ['properties' => ['nameRecipient' => '']], null,
            ['properties' => ['nameRecipient' => 'Айгерим']]));

        self::assertSame('bitrix_refused', $error->error);
        self::assertSame('Айгерим', World::rows("SELECT VALUE FROM b_sale_order_props_value WHERE CODE = 'nameRecipient'")[0]['VALUE']);
        self::assertSame(["order.create $id"], $this->outbox());
    }

    public function test_a_status_set_from_the_crm_is_saved_and_sales_status_email_goes_to_the_buyer(): void
    {
        $id = $this->shop->createOrder($this->crmOrder());

        self::assertTrue($this->shop->setStatus($id, 'PD'));
        self::assertFalse($this->shop->setStatus($id, 'PD'));

        self::assertSame('PD', \Bitrix\Sale\Order::load($id)->getField('STATUS_ID'));
        self::assertSame(["SALE_STATUS_CHANGED_PD:$id"], World::$mails);
        self::assertSame(["order.create $id", "order.status.change $id"], $this->outbox());
    }

    public function test_the_agent_sends_the_outbox_reports_it_and_asks_to_run_again(): void
    {
        $order = $this->storefrontOrder();

        self::assertSame(Installer::AGENT, BitrixShop::agent());

        $first = json_decode($this->worker->requests[0]['body'], true);
        self::assertSame(['order.create', $order->getId()], [$first['event'], (int) $first['data']['ID']]);
        self::assertSame('http://worker.test/webhooks/bitrix/outbox', end($this->worker->requests)['url']);
        self::assertSame(0, $this->kit->outbox->status()['unsent']);
    }

    public function test_an_agent_that_cannot_run_tells_the_administrators_and_still_asks_to_run_again(): void
    {
        $this->storefrontOrder();
        Option::delete(Installer::MODULE, ['name' => Config::SIGNING_SECRET]);
        $this->boot();

        self::assertSame(Installer::AGENT, BitrixShop::agent());

        self::assertStringContainsString('Агент модуля cvety.crm не отправил очередь', World::$eventLog[0]['DESCRIPTION']);
        self::assertSame(1, $this->kit->outbox->status()['unsent']);
    }
}
