<?php
declare(strict_types=1);

namespace CvetyCrm\Gateway;

use CvetyCrm\Shop\Shop;
use CvetyCrm\Shop\ShopError;
use CvetyCrm\Webhook\ChangeMarker;
use CvetyCrm\Webhook\OrderSaved;

/**
 * The gateway (docs/bitrix-gateway.md): the token, the Idempotency-Key, the request checked,
 * then one change through the shop's API, marked with the request's key so that the webhook the
 * save fires names it. Errors are the contract's JSON with Russian messages.
 */
final class Controller
{
    public const MAX_BODY_BYTES = 1024 * 1024;
    public const MAX_KEY_LENGTH = 200;
    /** Actions that only read: answered afresh every time, their (large) answers not kept. */
    private const READS = ['orders.snapshot', 'reference.snapshot', 'catalog.snapshot'];

    /** @var callable(): int */
    private $clock;

    public function __construct(
        private string $token,
        private IdempotencyStore $keys,
        private Shop $shop,
        private OrderSaved $events,
        ?callable $clock = null,
    ) {
        $this->clock = $clock ?? static fn (): int => time();
    }

    /** @param array<string, string> $headers with lower-case names */
    public function handle(string $method, array $headers, string $body): Response
    {
        if ($method !== 'POST') {
            return Response::error(405, 'method_not_allowed', 'Шлюз принимает только POST', [], ['Allow' => 'POST']);
        }
        if ($this->token === '' || !hash_equals($this->token, $headers['x-api-token'] ?? '')) {
            return Response::error(401, 'unauthorized', 'Неверный или отсутствующий X-API-TOKEN');
        }
        if (strlen($body) > self::MAX_BODY_BYTES) {
            return Response::error(413, 'payload_too_large', 'Запрос больше 1 МБ');
        }
        $request = json_decode($body, true, 32);
        if (!is_array($request) || array_is_list($request)) {
            return Response::error(400, 'invalid_json', 'Тело запроса должно быть объектом JSON');
        }
        $key = trim($headers['idempotency-key'] ?? '');
        if ($key === '' || strlen($key) > self::MAX_KEY_LENGTH) {
            return Response::error(400, 'missing_idempotency_key', 'Нет заголовка Idempotency-Key (до 200 символов)');
        }
        if (($request['idempotency_key'] ?? null) !== $key) {
            return Response::error(422, 'idempotency_key_mismatch', 'Ключи заголовка и тела не совпадают');
        }
        try {
            $checked = Requests::read($request);
        } catch (Invalid $invalid) {
            return Response::error(422, 'invalid_request', $invalid->getMessage(), ['field' => $invalid->field]);
        }
        if (in_array($request['action'], self::READS, true)) {
            // A read changes nothing: it is answered afresh every time, and its (large) answer is
            // not kept with its key.
            try {
                return $this->perform($request['action'], $checked, $key);
            } catch (\Throwable $failure) {
                return self::failed($failure);
            }
        }
        $now = ($this->clock)();
        [$verdict, $status, $answer] = $this->keys->begin($key, self::hash($request), $now);
        switch ($verdict) {
            case IdempotencyStore::REPLAY:
                return new Response((int) $status, (array) $answer);
            case IdempotencyStore::CONFLICT:
                return Response::error(422, 'idempotency_key_reused', 'Этот Idempotency-Key уже использован для другого запроса');
            case IdempotencyStore::IN_FLIGHT:
                return Response::error(503, 'in_flight', 'Запрос с этим ключом ещё выполняется, повторите позже', [],
                    ['Retry-After' => '5']);
        }
        try {
            $response = ChangeMarker::during($key, fn (): Response => $this->perform($request['action'], $checked, $key));
        } catch (ShopError $refused) {
            $response = Response::error($refused->status, $refused->error, $refused->getMessage());
        } catch (\Throwable $failure) {
            $this->keys->release($key);
            return self::failed($failure);
        }
        if ($response->status >= 500) {
            $this->keys->release($key);
        } else {
            $this->keys->finish($key, $response->status, $response->body, ($this->clock)());
        }
        return $response;
    }

    /** @param array<string, mixed> $checked */
    private function perform(string $action, array $checked, string $key): Response
    {
        switch ($action) {
            case 'order.create':
                $existing = $this->shop->findOrderByCrmId($checked['crm_order_id']);
                $id = $existing ?? $this->shop->createOrder($checked);
                return Response::ok(['bitrix_order_id' => (string) $id, 'existed' => $existing !== null]);
            case 'order.update':
                $result = $this->shop->updateOrder($checked['bitrix_order_id'], $checked['fields'], $checked['basket'], $checked['seen']);
                return Response::ok(['changed' => $result['changed'], 'overwritten' => $result['overwritten']]);
            case 'order.set_status':
                $changed = $this->shop->setStatus($checked['bitrix_order_id'], $checked['status_id']);
                return Response::ok(['changed' => $changed]);
            case 'product.set_availability':
                $this->shop->setAvailability($checked['bitrix_product_id'], $checked['in_stock']);
                return Response::ok();
            case 'orders.snapshot':
                $orders = $this->shop->snapshot($checked['from'], $checked['to'], $checked['after_id'], $checked['limit'] + 1);
                $more = count($orders) > $checked['limit'];
                $orders = array_slice($orders, 0, $checked['limit']);
                $last = $orders === [] ? null : end($orders)['id'];
                return Response::ok(['orders' => array_map(static fn (array $o): array => [
                    'id' => (string) $o['id'], 'status_id' => $o['status_id'], 'price' => $o['price'],
                    'date_update' => $o['date_update'],
                ], $orders), 'next_after_id' => $more ? $last : null]);
            case 'reference.snapshot':
                return Response::ok($this->shop->reference());
            case 'catalog.snapshot':
                $products = $this->shop->catalog($checked['after_id'], $checked['limit'] + 1, $checked['changed_since']);
                $more = count($products) > $checked['limit'];
                $products = array_slice($products, 0, $checked['limit']);
                $last = $products === [] ? null : (int) end($products)['id'];
                return Response::ok(['products' => $products, 'next_after_id' => $more ? $last : null]);
            case 'orders.resend':
                $queued = 0;
                $missing = [];
                foreach ($checked['bitrix_order_ids'] as $id) {
                    $record = $this->shop->orderRecord($id);
                    if ($record === null) {
                        $missing[] = $id;
                        continue;
                    }
                    $this->events->resend($record, $key);
                    $queued++;
                }
                return Response::ok(['queued' => $queued, 'missing' => $missing]);
        }
        throw new \LogicException("unchecked action $action");
    }

    private static function failed(\Throwable $failure): Response
    {
        return Response::error(500, 'gateway_failed', 'Ошибка шлюза: ' . mb_substr($failure->getMessage(), 0, 300));
    }

    /** The request's fingerprint: its JSON with keys sorted, so that spacing and order do not count. */
    public static function hash(array $request): string
    {
        $sort = static function (mixed $value) use (&$sort): mixed {
            if (!is_array($value)) {
                return $value;
            }
            if (!array_is_list($value)) {
                ksort($value, SORT_STRING);
            }
            return array_map($sort, $value);
        };
        return hash('sha256', json_encode($sort($request), JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION));
    }
}
