<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use Bitrix\Main\Config\Option;
use CvetyCrm\Bitrix\BitrixShop;
use CvetyCrm\Config;
use CvetyCrm\Kit;
use CvetyCrm\Module\Installer;
use CvetyCrm\Storage\Database;
use CvetyCrm\Tests\Double\World;
use CvetyCrm\Tests\Fake\RecordingHttp;
use PHPUnit\Framework\TestCase;

/**
 * Bitrix\BitrixShop itself, on the double of Bitrix's API: a fresh site (World) with the module
 * installed by its own Installer (persistent handlers, tables on the site's connection) and its
 * settings saved as options, and a recording Worker.
 */
abstract class BitrixCase extends TestCase
{
    protected BitrixShop $shop;
    protected Kit $kit;
    protected RecordingHttp $worker;

    protected function setUp(): void
    {
        World::reset($this->sitePdo());
        $this->worker = new RecordingHttp();
        foreach ([Config::WORKER_URL => 'http://worker.test/webhooks/bitrix/order', Config::SIGNING_SECRET => KitCase::SECRET,
                  Config::GATEWAY_TOKEN => KitCase::TOKEN, Config::SITE_ID => 's1', Config::PERSON_TYPE_ID => '1',
                  Config::DELIVERY_ID => '2', Config::PAY_SYSTEM_ID => '3', Config::BUYER_USER_ID => '77',
                  Config::CATALOG_IBLOCK_ID => '2'] as $name => $value) {
            Option::set(Installer::MODULE, $name, $value);
        }
        $this->boot();
        $this->kit->db->uninstall();
        self::assertSame([], (new Installer($this->shop, $this->kit->db))->install());
    }

    /** The site's database: MariaDB, as production Bitrix runs MySQL. */
    protected function sitePdo(): ?\PDO
    {
        return MariaDb::pdo();
    }

    /** The kit as the module builds it from the saved settings (the Worker recorded). */
    protected function boot(): void
    {
        $this->kit = Kit::boot(BitrixShop::assemble(Config::from(Option::getForModule(Installer::MODULE), []), $this->worker));
        $shop = $this->kit->shop;
        self::assertInstanceOf(BitrixShop::class, $shop);
        $this->shop = $shop;
    }

    /** An order.create request as Gateway\Requests checks it. */
    protected function crmOrder(array $changes = []): array
    {
        return array_replace_recursive([
            'crm_order_id' => '8f14e45f-ceea-4e7a-9c6f-1a2b3c4d5e01', 'status_id' => 'N', 'price' => '9000.00', 'price_delivery' => '1500.00',
            'currency' => 'KZT', 'user_description' => 'Позвонить за час',
            'basket' => [['product_id' => 15652, 'name' => 'Букет Стандарт', 'price' => '7500.00', 'quantity' => '1']],
            'properties' => ['nameRecipient' => 'Айгерим', 'phoneRecipient' => '+77015551234', 'addressRecipient' => 'Алматы, Абая 1',
                             'postcardText' => 'С днём рождения! 🌷', 'data' => '2025-08-25', 'city' => '2', 'when' => '18',
                             'shopId' => '17008', 'crmOrderId' => '8f14e45f-ceea-4e7a-9c6f-1a2b3c4d5e01'],
        ], $changes);
    }

    /** @return list<array<string, mixed>> */
    protected function orders(): array
    {
        return World::rows('SELECT * FROM b_sale_order ORDER BY ID');
    }

    /** @return list<string> event and order id of each outbox row */
    protected function outbox(): array
    {
        return array_map(static fn (array $row): string => $row['event'] . ' ' . $row['order_id'],
            $this->kit->db->rows('SELECT event, order_id FROM cvety_crm_outbox ORDER BY id'));
    }

    /** A storefront order saved the way sale's checkout saves one (no gateway, no CRM key). */
    protected function storefrontOrder(): \Bitrix\Sale\Order
    {
        $order = \Bitrix\Sale\Order::create('s1', 4521);
        $order->setPersonTypeId(1);
        $basket = \Bitrix\Sale\Basket::create('s1');
        $basket->createItem('catalog', 15652)->setFields(['NAME' => 'Букет Стандарт', 'QUANTITY' => 1, 'PRICE' => 7500, 'CURRENCY' => 'KZT']);
        $order->setBasket($basket);
        foreach ($order->getPropertyCollection() as $property) {
            $value = ['nameRecipient' => 'Айгерим', 'phoneRecipient' => '+77015551234'][$property->getField('CODE')] ?? null;
            if ($value !== null) {
                $property->setValue($value);
            }
        }
        self::assertTrue($order->save()->isSuccess());
        return $order;
    }
}
