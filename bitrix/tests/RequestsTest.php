<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Gateway\Invalid;
use CvetyCrm\Gateway\Requests;
use PHPUnit\Framework\TestCase;

final class RequestsTest extends TestCase
{
    private const ID = '0b6f3c1e-0000-4000-8000-000000000001';

    private function create(): array
    {
        return [
            'action' => 'order.create', 'crm_order_id' => self::ID,
            'order' => ['status_id' => 'N', 'price' => '9000.00', 'price_delivery' => null, 'currency' => 'KZT'],
            'basket' => [['product_id' => 15652, 'name' => 'Букет', 'price' => '7500.00', 'quantity' => '1']],
            'properties' => ['crmOrderId' => self::ID, 'city' => '2'],
        ];
    }

    public function testAWellFormedCreateIsReadWithItsDecimalsAsText(): void
    {
        $read = Requests::read($this->create());
        self::assertSame(['9000.00', '0', '7500.00'], [$read['price'], $read['price_delivery'], $read['basket'][0]['price']]);
        self::assertSame(self::ID, $read['properties']['crmOrderId']);
    }

    public function testEachMalformedFieldIsNamed(): void
    {
        $cases = [
            'action' => ['action' => 'order.delete'],
            'crm_order_id' => ['crm_order_id' => 'x'],
            'basket' => ['basket' => []],
            'basket[0].price' => ['basket' => [['product_id' => 1, 'name' => 'x', 'price' => 9000.0, 'quantity' => '1']]],
            'basket[0].quantity' => ['basket' => [['product_id' => 1, 'name' => 'x', 'price' => '1', 'quantity' => '0']]],
            'basket[0].product_id' => ['basket' => [['product_id' => -1, 'name' => 'x', 'price' => '1', 'quantity' => '1']]],
            'order.status_id' => ['order' => ['status_id' => 'ZZ', 'price' => '1', 'currency' => 'KZT']],
            'order.price' => ['order' => ['status_id' => 'N', 'price' => '1e5', 'currency' => 'KZT']],
            'properties.crmOrderId' => ['properties' => ['crmOrderId' => '0b6f3c1e-0000-4000-8000-000000000002']],
            'properties.when' => ['properties' => ['crmOrderId' => self::ID, 'when' => ['18']]],
        ];
        foreach ($cases as $field => $change) {
            try {
                Requests::read(array_replace($this->create(), $change));
                self::fail("$field was accepted");
            } catch (Invalid $invalid) {
                self::assertSame($field, $invalid->field);
            }
        }
    }

    public function testTheOtherActionsAreCheckedToo(): void
    {
        $cases = [
            'status_id' => ['action' => 'order.set_status', 'bitrix_order_id' => 1, 'status_id' => 'X'],
            'bitrix_order_id' => ['action' => 'order.set_status', 'bitrix_order_id' => 0, 'status_id' => 'N'],
            'in_stock_value' => ['action' => 'product.set_availability', 'bitrix_product_id' => 1, 'in_stock' => true, 'in_stock_value' => '159'],
            'to' => ['action' => 'orders.snapshot', 'from' => '2025-01-01', 'to' => '2025-12-31'],
            'from' => ['action' => 'orders.snapshot', 'from' => '2025-02-30', 'to' => '2025-03-01'],
            'limit' => ['action' => 'orders.snapshot', 'from' => '2025-01-01', 'to' => '2025-01-02', 'limit' => 501],
            'bitrix_order_ids' => ['action' => 'orders.resend', 'bitrix_order_ids' => range(1, 201)],
            'bitrix_order_ids[1]' => ['action' => 'orders.resend', 'bitrix_order_ids' => [1, '2']],
        ];
        foreach ($cases as $field => $request) {
            try {
                Requests::read($request);
                self::fail("$field was accepted");
            } catch (Invalid $invalid) {
                self::assertSame($field, $invalid->field, $invalid->getMessage());
            }
        }
    }
}
