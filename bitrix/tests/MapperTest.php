<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Webhook\Mapper;
use PHPUnit\Framework\TestCase;

final class MapperTest extends TestCase
{
    private function record(): array
    {
        $almaty = new \DateTimeZone('Asia/Almaty');
        return [
            'ID' => 122183, 'ACCOUNT_NUMBER' => '122183', 'STATUS_ID' => 'N', 'USER_ID' => 4521,
            'PRICE' => 9000.0, 'PRICE_DELIVERY' => 1500.0, 'CURRENCY' => 'KZT',
            'DATE_INSERT' => new \DateTimeImmutable('2025-08-24 13:05:11', $almaty),
            'DATE_UPDATE' => new \DateTimeImmutable('2025-08-24 13:05:11', $almaty),
            'USER_DESCRIPTION' => 'Позвонить получателю за час',
            'PAYED' => 'N', 'SUM_PAID' => 0.0, 'PAY_SYSTEM_ID' => 7, 'PAY_SYSTEM_NAME' => 'Kaspi',
            'properties' => ['nameRecipient' => 'Айгерим', 'phoneRecipient' => '+7 (701) 555-12-34',
                             'addressRecipient' => 'Алматы, пр. Абая 10', 'postcardText' => 'С днём рождения! Люблю, Марат',
                             'data' => '2025-08-25', 'city' => 2, 'when' => ['18'], 'shopId' => '17008', 'DELIVERY_NOTE' => 'внутреннее'],
            'basket' => [['ID' => 900311, 'PRODUCT_ID' => 15652, 'NAME' => 'Букет Стандарт', 'PRICE' => 7500.0,
                          'QUANTITY' => 1.0, 'CURRENCY' => 'KZT']],
            'user' => ['ID' => 4521, 'NAME' => 'Марат', 'LAST_NAME' => 'Ахметов', 'EMAIL' => 'm@example.kz',
                       'PERSONAL_PHONE' => '+77015550000'],
        ];
    }

    public function testAnOrderBecomesSpecsBodyWithEveryNumberAsTextAndDatesWithTheirOffset(): void
    {
        $body = json_decode(Mapper::body('order.create', $this->record(), null), true);

        self::assertSame('order.create', $body['event']);
        $data = $body['data'];
        self::assertSame(['122183', '122183', 'N', '4521', '9000', '1500', 'KZT'],
            [$data['ID'], $data['ACCOUNT_NUMBER'], $data['STATUS_ID'], $data['USER_ID'], $data['PRICE'], $data['PRICE_DELIVERY'], $data['CURRENCY']]);
        self::assertSame('2025-08-24T13:05:11+05:00', $data['DATE_UPDATE']);
        self::assertSame(['N', '0', '7', 'Kaspi'], [$data['PAYED'], $data['SUM_PAID'], $data['PAY_SYSTEM_ID'], $data['PAY_SYSTEM_NAME']]);
        self::assertSame(['ID' => '900311', 'PRODUCT_ID' => '15652', 'NAME' => 'Букет Стандарт', 'PRICE' => '7500',
                          'QUANTITY' => '1', 'CURRENCY' => 'KZT'], $data['basket'][0]);
        self::assertSame('2', $data['properties']['city']);
        self::assertSame('18', $data['properties']['when'], 'a list property gives its first value');
        self::assertArrayNotHasKey('DELIVERY_NOTE', $data['properties'], 'only the properties the CRM reads');
        self::assertSame('Марат', $data['user']['NAME']);
        self::assertArrayHasKey('crm_change_key', $data);
        self::assertNull($data['crm_change_key'], 'said, and null: a save made in Bitrix');
        self::assertArrayNotHasKey('resend', $data);
    }

    public function testTheBodyHasTheSameFieldsAsTheSamplesTheWorkerIsTestedWith(): void
    {
        $sample = json_decode((string) file_get_contents(dirname(__DIR__, 2) . '/tests/fixtures/bitrix/order-create.json'), true);
        $body = json_decode(Mapper::body('order.create', $this->record(), null), true);
        $fields = fn (array $data): array => array_keys(array_diff_key($data, ['token' => 1]));
        self::assertSame(array_values(array_diff($fields($sample['data']), ['crm_change_key'])),
            array_values(array_diff($fields($body['data']), ['crm_change_key'])));
        self::assertSame(array_keys($sample['data']['basket'][0]), array_keys($body['data']['basket'][0]));
    }

    public function testTheGatewaysOwnSaveCarriesItsKeyAndAResendSaysSo(): void
    {
        $echo = json_decode(Mapper::body('order.status.change', $this->record(), 'bitrix:status:x:1'), true);
        $resend = json_decode(Mapper::body('order.update', $this->record(), null, 'reconcile:run:resend:0'), true);
        self::assertSame('bitrix:status:x:1', $echo['data']['crm_change_key']);
        self::assertSame('reconcile:run:resend:0', $resend['data']['resend']);
    }

    public function testMoneyReadAsFloatsIsWrittenExactlyToFourPlaces(): void
    {
        $record = $this->record();
        $record['PRICE'] = 0.1 + 0.2;
        $record['basket'][0]['PRICE'] = 7500.5;
        $data = json_decode(Mapper::body('order.update', $record, null), true)['data'];
        self::assertSame(['0.3', '7500.5'], [$data['PRICE'], $data['basket'][0]['PRICE']]);
    }
}
