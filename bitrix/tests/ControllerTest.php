<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Gateway\Response;

final class ControllerTest extends KitCase
{
    private const CRM_ID = '0b6f3c1e-0000-4000-8000-000000000001';

    /** @param array<string, mixed> $request */
    private function call(array $request, ?string $key = 'bitrix:create_order:' . self::CRM_ID, ?string $token = self::TOKEN,
        string $method = 'POST'): Response
    {
        if ($key !== null && !array_key_exists('idempotency_key', $request)) {
            $request['idempotency_key'] = $key;
        }
        $headers = array_filter(['x-api-token' => $token, 'idempotency-key' => $key], fn ($v) => $v !== null);
        return $this->kit->gateway()->handle($method, $headers, json_encode($request, JSON_UNESCAPED_UNICODE));
    }

    private function create(array $change = []): array
    {
        return array_replace_recursive([
            'action' => 'order.create',
            'crm_order_id' => self::CRM_ID,
            'order' => ['status_id' => 'N', 'price' => '16500.00', 'price_delivery' => '1500.00', 'currency' => 'KZT',
                        'user_description' => 'Позвонить за час'],
            'basket' => [['product_id' => 15652, 'name' => 'Букет Стандарт', 'price' => '7500.00', 'quantity' => '2.00',
                          'custom_price' => true]],
            'properties' => ['nameRecipient' => 'Айгерим', 'phoneRecipient' => '+77015551234', 'addressRecipient' => 'Алматы',
                             'postcardText' => 'С днём рождения!', 'data' => '2025-08-25', 'city' => '2', 'when' => '18',
                             'shopId' => '17008', 'crmOrderId' => self::CRM_ID],
        ], $change);
    }

    private function orders(): int
    {
        return (int) $this->shop->pdo->query('SELECT COUNT(*) FROM orders')->fetchColumn();
    }

    public function testACrmOrderIsCreatedOnceWithItsPricesAndAnsweredWithItsId(): void
    {
        $answer = $this->call($this->create());

        self::assertSame(200, $answer->status, $answer->json());
        $id = (int) $answer->body['bitrix_order_id'];
        $record = $this->shop->orderRecord($id);
        self::assertSame(['16500.00', '1500.00', 'N'], [$record['PRICE'], $record['PRICE_DELIVERY'], $record['STATUS_ID']]);
        self::assertSame(['7500.00', '2.00'], [$record['basket'][0]['PRICE'], $record['basket'][0]['QUANTITY']]);
        self::assertSame(self::CRM_ID, $record['properties']['crmOrderId']);
    }

    public function testTheWebhookOfTheGatewaysSaveNamesTheRequestAndTheCrmOrder(): void
    {
        $this->call($this->create());
        $this->later->run();

        $data = json_decode($this->worker->requests[0]['body'], true)['data'];
        self::assertSame('bitrix:create_order:' . self::CRM_ID, $data['crm_change_key']);
        self::assertSame(self::CRM_ID, $data['properties']['crmOrderId']);
    }

    public function testARepeatedKeyGetsTheFirstAnswerAndCreatesNothingMore(): void
    {
        $first = $this->call($this->create());
        $again = $this->call($this->create());
        self::assertSame($first->body, $again->body);
        self::assertSame(1, $this->orders());
        self::assertCount(1, $this->outbox(), 'and no second webhook');
    }

    public function testTheSameCrmOrderUnderAnotherKeyIsFoundNotMadeAgain(): void
    {
        $first = $this->call($this->create());
        $other = $this->call($this->create(), 'bitrix:create_order:another-key');
        self::assertSame($first->body['bitrix_order_id'], $other->body['bitrix_order_id']);
        self::assertTrue($other->body['existed']);
        self::assertSame(1, $this->orders());
    }

    public function testTheSameKeyWithAnotherRequestIsRefusedAndAKeyStillRunningIsAskedToWait(): void
    {
        $this->call($this->create());
        $changed = $this->call($this->create(['order' => ['price' => '1.00']]));
        self::assertSame([422, 'idempotency_key_reused'], [$changed->status, $changed->body['error']]);

        $request = ['action' => 'order.set_status', 'bitrix_order_id' => 1, 'status_id' => 'AP',
                    'idempotency_key' => 'bitrix:status:running:1'];
        $this->kit->keys->begin('bitrix:status:running:1', \CvetyCrm\Gateway\Controller::hash($request), $this->now);
        $running = $this->call($request, 'bitrix:status:running:1');
        self::assertSame([503, '5'], [$running->status, $running->headers['Retry-After']]);
    }

    public function testAProductOutOfStockCreatesNothingAndSaysSoInRussian(): void
    {
        $answer = $this->call($this->create(['basket' => [['product_id' => 15654, 'name' => 'Тюльпаны']]]));
        self::assertSame([409, 'product_not_available'], [$answer->status, $answer->body['error']]);
        self::assertSame('Товар 15654 нельзя добавить в корзину: его нет в наличии', $answer->body['message']);
        self::assertSame(0, $this->orders());
        self::assertSame([], $this->outbox(), 'no webhook for an order that does not exist');
    }

    public function testTheTokenTheMethodTheBodyAndTheKeyAreCheckedBeforeAnything(): void
    {
        $cases = [
            [$this->call($this->create(), token: 'wrong'), 401, 'unauthorized'],
            [$this->call($this->create(), token: null), 401, 'unauthorized'],
            [$this->call($this->create(), method: 'GET'), 405, 'method_not_allowed'],
            [$this->kit->gateway()->handle('POST', ['x-api-token' => self::TOKEN, 'idempotency-key' => 'k'], '{"action": '), 400, 'invalid_json'],
            [$this->call($this->create(), null), 400, 'missing_idempotency_key'],
            [$this->call($this->create() + ['idempotency_key' => 'other'], 'k'), 422, 'idempotency_key_mismatch'],
        ];
        foreach ($cases as [$answer, $status, $error]) {
            self::assertSame([$status, $error], [$answer->status, $answer->body['error']], $answer->json());
            self::assertFalse($answer->body['ok']);
        }
        self::assertSame(0, $this->orders());
    }

    public function testAStatusIsSetOnceAndSettingItAgainIsASuccessThatChangesNothing(): void
    {
        $id = $this->storefrontOrder();
        $this->later->run();
        $set = $this->call(['action' => 'order.set_status', 'bitrix_order_id' => $id, 'status_id' => 'AP'], 'bitrix:status:o:1');
        $same = $this->call(['action' => 'order.set_status', 'bitrix_order_id' => $id, 'status_id' => 'AP'], 'bitrix:status:o:2');
        $missing = $this->call(['action' => 'order.set_status', 'bitrix_order_id' => 1, 'status_id' => 'AP'], 'bitrix:status:o:3');

        self::assertSame([true, false], [$set->body['changed'], $same->body['changed']]);
        self::assertSame([404, 'order_not_found'], [$missing->status, $missing->body['error']]);
        $this->later->run();
        $echo = json_decode($this->worker->requests[1]['body'], true);
        self::assertSame(['order.status.change', 'AP', 'bitrix:status:o:1'],
            [$echo['event'], $echo['data']['STATUS_ID'], $echo['data']['crm_change_key']]);
        self::assertCount(2, $this->worker->requests, 'no save, no webhook for the same status');
    }

    public function testAvailabilitySetsInStock(): void
    {
        $answer = $this->call(['action' => 'product.set_availability', 'bitrix_product_id' => 15652, 'in_stock' => false,
            'in_stock_value' => '159'], 'bitrix:availability:p:1');
        self::assertTrue($answer->body['ok']);
        self::assertSame('159', $this->shop->inStock(15652));
    }

    public function testTheSnapshotPagesThroughAPeriodsOrdersById(): void
    {
        $ids = [$this->storefrontOrder('А'), $this->storefrontOrder('Б'), $this->storefrontOrder('В')];
        $today = (new \DateTimeImmutable('now', new \DateTimeZone('Asia/Almaty')))->format('Y-m-d');
        $page = fn (int $after, string $key) => $this->call(['action' => 'orders.snapshot', 'from' => $today, 'to' => $today,
            'after_id' => $after, 'limit' => 2], $key);

        $first = $page(0, 'snap:1');
        $second = $page((int) $first->body['next_after_id'], 'snap:2');

        self::assertSame([(string) $ids[0], (string) $ids[1]], array_column($first->body['orders'], 'id'));
        self::assertSame($ids[1], $first->body['next_after_id']);
        self::assertSame([(string) $ids[2]], array_column($second->body['orders'], 'id'));
        self::assertNull($second->body['next_after_id']);
        self::assertSame(['N', '9000.00'], [$first->body['orders'][0]['status_id'], $first->body['orders'][0]['price']]);
    }

    public function testASnapshotIsReadAfreshUnderARepeatedKeyAndItsAnswerIsNotKept(): void
    {
        $today = (new \DateTimeImmutable('now', new \DateTimeZone('Asia/Almaty')))->format('Y-m-d');
        $read = fn () => $this->call(['action' => 'orders.snapshot', 'from' => $today, 'to' => $today], 'snap:same');
        $this->storefrontOrder('А');
        $before = $read();
        $this->storefrontOrder('Б');
        $after = $read();

        self::assertCount(1, $before->body['orders']);
        self::assertCount(2, $after->body['orders'], 'the repeat reads again, it does not replay');
        $kept = $this->kit->db->pdo()->query("SELECT COUNT(*) FROM cvety_crm_gateway_requests WHERE request_key = 'snap:same'");
        self::assertSame(0, (int) $kept->fetchColumn());
    }

    public function testTheReferenceSnapshotGivesTheShopsSlotsCitiesShopsStatusesPaySystemsAndDeliveriesAfresh(): void
    {
        $read = fn () => $this->call(['action' => 'reference.snapshot'], 'reference:same');
        $before = $read();
        $this->shop->reference['slots'][] = ['id' => '24', 'name' => '22:00-23:00', 'sort' => 160];
        $after = $read();

        self::assertSame(200, $before->status);
        self::assertSame(['18', '19', '23'], array_column($before->body['slots'], 'id'));
        self::assertSame('15:00-16:00', $before->body['slots'][0]['name']);
        self::assertSame(['Kaspi', 'Наличные курьеру'], array_column($before->body['pay_systems'], 'name'));
        self::assertSame(['cities', 'deliveries', 'ok', 'pay_systems', 'shops', 'slots', 'statuses'],
            (static function (array $keys): array { sort($keys); return $keys; })(array_keys($after->body)));
        self::assertCount(4, $after->body['slots'], 'a repeated key reads again');
    }

    public function testTheCatalogSnapshotPagesThroughTheProductsByIdWithPriceStockAndPicture(): void
    {
        $first = $this->call(['action' => 'catalog.snapshot', 'after_id' => 0, 'limit' => 2], 'catalog:1');
        $second = $this->call(['action' => 'catalog.snapshot', 'after_id' => (int) $first->body['next_after_id'], 'limit' => 2], 'catalog:2');
        $refused = $this->call(['action' => 'catalog.snapshot', 'limit' => 501], 'catalog:3');

        self::assertSame(['15652', '15653'], array_column($first->body['products'], 'id'));
        self::assertSame(15653, $first->body['next_after_id']);
        self::assertSame(['15654'], array_column($second->body['products'], 'id'));
        self::assertNull($second->body['next_after_id']);
        self::assertSame(['7500', 'KZT', '158'], [$first->body['products'][0]['price'], $first->body['products'][0]['currency'],
            $first->body['products'][0]['in_stock']]);
        self::assertSame([422, 'limit'], [$refused->status, $refused->body['field']]);
        $since = fn (string $at) => $this->call(['action' => 'catalog.snapshot', 'changed_since' => $at], 'catalog:since:' . $at);
        self::assertCount(3, $since('2026-11-29T00:00:00+05:00')->body['products']);
        self::assertCount(0, $since('2026-12-01T00:00:00+05:00')->body['products'], 'nothing changed since');
        self::assertSame('changed_since', $since('вчера')->body['field']);
    }

    public function testAResendPutsEachOrderInTheOutboxAgainAndNamesTheOnesBitrixDoesNotHave(): void
    {
        $id = $this->storefrontOrder();
        $this->later->run();
        $answer = $this->call(['action' => 'orders.resend', 'bitrix_order_ids' => [$id, 999]], 'reconcile:r:resend:0');
        self::assertSame([1, [999]], [$answer->body['queued'], $answer->body['missing']]);
        $this->later->run();
        $resent = json_decode($this->worker->requests[1]['body'], true);
        self::assertSame(['order.update', 'reconcile:r:resend:0', null],
            [$resent['event'], $resent['data']['resend'], $resent['data']['crm_change_key']]);
    }

    /** @param array<string, mixed> $change */
    private function update(int $id, array $change = []): array
    {
        return array_replace_recursive([
            'action' => 'order.update',
            'bitrix_order_id' => $id,
            'fields' => ['properties' => ['addressRecipient' => 'Алматы, пр. Абая 12', 'when' => '19']],
            'seen' => ['properties' => ['addressRecipient' => null, 'when' => '18']],
        ], $change);
    }

    public function testAnEditFromTheCrmIsSavedOnceItsEchoNamesItsKeyAndARepeatChangesNothing(): void
    {
        $id = $this->storefrontOrder();
        $this->later->run();
        $key = 'bitrix:update_order:o:1';

        $saved = $this->call($this->update($id), $key);
        $again = $this->call($this->update($id), $key);

        self::assertSame(200, $saved->status, $saved->json());
        self::assertSame([true, []], [$saved->body['changed'], $saved->body['overwritten']]);
        self::assertSame($saved->body, $again->body, 'the same key gets the first answer');
        $record = $this->shop->orderRecord($id);
        self::assertSame(['Алматы, пр. Абая 12', '19', 'Айгерим'],
            [$record['properties']['addressRecipient'], $record['properties']['when'], $record['properties']['nameRecipient']]);
        $this->later->run();
        self::assertCount(2, $this->worker->requests, 'one save, one webhook');
        $echo = json_decode($this->worker->requests[1]['body'], true);
        self::assertSame($key, $echo['data']['crm_change_key']);
    }

    public function testAFieldChangedInBitrixMeanwhileIsReplacedAndNamedInTheAnswer(): void
    {
        $id = $this->storefrontOrder();
        $this->shop->edit($id, [], ['addressRecipient' => 'Алматы, ул. Сатпаева 1']);

        $saved = $this->call($this->update($id), 'bitrix:update_order:o:2');

        self::assertSame([['field' => 'addressRecipient', 'bitrix' => 'Алматы, ул. Сатпаева 1']], $saved->body['overwritten']);
        self::assertSame('Алматы, пр. Абая 12', $this->shop->orderRecord($id)['properties']['addressRecipient'], 'the later save wins');
    }

    public function testTheBasketBecomesTheCrmsLinesAndALineAddedTwiceUnderItsCrmIdIsAddedOnce(): void
    {
        $id = $this->storefrontOrder();
        $line = $this->shop->orderRecord($id)['basket'][0];
        $newLine = ['basket_id' => null, 'crm_item_id' => '0b6f3c1e-0000-4000-8000-00000000000a', 'product_id' => 15653,
                    'name' => 'Розы красные', 'price' => '5000.00', 'quantity' => '3'];
        $basket = [['basket_id' => (int) $line['ID'], 'crm_item_id' => '0b6f3c1e-0000-4000-8000-000000000009',
                    'product_id' => 15652, 'name' => 'Букет Стандарт', 'price' => '7500.00', 'quantity' => '2'], $newLine];

        $first = $this->call(['action' => 'order.update', 'bitrix_order_id' => $id, 'fields' => ['properties' => (object) []],
                              'seen' => ['properties' => (object) []], 'basket' => $basket], 'bitrix:update_order:o:3');
        $second = $this->call(['action' => 'order.update', 'bitrix_order_id' => $id, 'fields' => ['properties' => (object) []],
                               'seen' => ['properties' => (object) []], 'basket' => $basket], 'bitrix:update_order:o:4');

        self::assertSame(200, $first->status, $first->json());
        self::assertSame([true, false], [$first->body['changed'], $second->body['changed']]);
        $record = $this->shop->orderRecord($id);
        self::assertSame([['15652', '2'], ['15653', '3']],
            array_map(static fn (array $l): array => [(string) $l['PRODUCT_ID'], $l['QUANTITY']], $record['basket']));
        self::assertSame('31500.00', $record['PRICE'], '2 × 7500 + 3 × 5000 + 1500');
    }

    public function testAnEditThatNamesAFieldTheCrmMayNotChangeOrAQuantityOfZeroIsRefusedAndSavesNothing(): void
    {
        $id = $this->storefrontOrder();
        $before = $this->shop->orderRecord($id);

        $crmId = $this->call($this->update($id, ['fields' => ['properties' => ['crmOrderId' => 'x']]]), 'bitrix:update_order:o:5');
        $zero = $this->call(['action' => 'order.update', 'bitrix_order_id' => $id, 'fields' => ['properties' => (object) []],
            'seen' => ['properties' => (object) []], 'basket' => [['basket_id' => 1, 'crm_item_id' => '0b6f3c1e-0000-4000-8000-000000000009',
            'product_id' => 15652, 'name' => 'Букет', 'price' => '7500.00', 'quantity' => '0']]], 'bitrix:update_order:o:6');
        $missing = $this->call($this->update(1), 'bitrix:update_order:o:7');

        self::assertSame([422, 'fields.properties.crmOrderId'], [$crmId->status, $crmId->body['field']]);
        self::assertSame([422, 'basket[0].quantity'], [$zero->status, $zero->body['field']]);
        self::assertSame([404, 'order_not_found'], [$missing->status, $missing->body['error']]);
        self::assertEquals($before, $this->shop->orderRecord($id));
    }

    public function testTheTrackingLinkIsWrittenToItsPropertyAndClearedWhenRevoked(): void
    {
        $id = $this->storefrontOrder();
        $url = 'https://crm.cvety.kz/t/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE';
        $set = $this->call(['action' => 'order.update', 'bitrix_order_id' => $id,
            'fields' => ['properties' => ['crmTrackUrl' => $url]], 'seen' => ['properties' => (object) []]], 'bitrix:track_url:o:1');
        self::assertSame(200, $set->status, $set->json());
        self::assertSame($url, $this->shop->orderRecord($id)['properties']['crmTrackUrl']);

        $this->call(['action' => 'order.update', 'bitrix_order_id' => $id,
            'fields' => ['properties' => ['crmTrackUrl' => '']], 'seen' => ['properties' => (object) []]], 'bitrix:track_url:o:2');
        self::assertSame('', $this->shop->orderRecord($id)['properties']['crmTrackUrl']);
    }
}
