<?php
declare(strict_types=1);

namespace CvetyCrm\Gateway;

use CvetyCrm\Shop\MailFields;

/**
 * Reads a gateway request (docs/bitrix-gateway.md) into checked values, or says which field is
 * wrong. Money and quantities stay decimal strings; every list is bounded.
 */
final class Requests
{
    public const STATUSES = ['N', 'AP', 'PD', 'CO', 'RD', 'DE', 'F'];
    public const MAX_BASKET = 200;
    public const MAX_RESEND = 200;
    public const MAX_SNAPSHOT_PAGE = 500;
    public const MAX_SNAPSHOT_DAYS = 92;
    /** The order properties an edit made in the CRM may change (docs/bitrix-gateway.md). */
    public const EDITABLE_PROPERTIES = ['nameRecipient', 'phoneRecipient', 'addressRecipient', 'postcardText', 'data', 'when',
        MailFields::TRACK_PROPERTY];

    /**
     * @param array<string, mixed> $body
     * @return array<string, mixed> the action's fields, checked
     * @throws Invalid
     */
    public static function read(array $body): array
    {
        $action = $body['action'] ?? null;
        return match ($action) {
            'order.create' => self::createOrder($body),
            'order.set_status' => [
                'bitrix_order_id' => self::id($body, 'bitrix_order_id'),
                'status_id' => self::oneOf($body, 'status_id', self::STATUSES),
            ],
            'order.update' => self::updateOrder($body),
            'product.set_availability' => self::availability($body),
            'orders.snapshot' => self::snapshot($body),
            'orders.resend' => self::resend($body),
            'reference.snapshot' => [],
            'catalog.snapshot' => self::page($body),
            default => throw new Invalid('action', 'Неизвестное действие: ожидается order.create, order.update, order.set_status, '
                . 'product.set_availability, orders.snapshot, orders.resend, reference.snapshot или catalog.snapshot'),
        };
    }

    private static function createOrder(array $body): array
    {
        $crmId = self::text($body, 'crm_order_id', 36);
        if (!preg_match('/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i', $crmId)) {
            throw new Invalid('crm_order_id', 'crm_order_id должен быть UUID заказа CRM');
        }
        $order = self::object($body, 'order');
        $basket = $body['basket'] ?? null;
        if (!is_array($basket) || !array_is_list($basket) || $basket === []) {
            throw new Invalid('basket', 'Корзина должна быть непустым списком');
        }
        if (count($basket) > self::MAX_BASKET) {
            throw new Invalid('basket', 'В корзине не больше ' . self::MAX_BASKET . ' строк');
        }
        $lines = [];
        foreach ($basket as $index => $line) {
            if (!is_array($line)) {
                throw new Invalid("basket[$index]", 'Строка корзины должна быть объектом');
            }
            $lines[] = [
                'product_id' => self::id($line, 'product_id', "basket[$index]."),
                'name' => self::text($line, 'name', 255, "basket[$index]."),
                'price' => self::decimal($line, 'price', "basket[$index]."),
                'quantity' => self::decimal($line, 'quantity', "basket[$index].", positive: true),
            ];
        }
        $properties = self::object($body, 'properties');
        if (($properties['crmOrderId'] ?? null) !== $crmId) {
            throw new Invalid('properties.crmOrderId', 'properties.crmOrderId должен совпадать с crm_order_id');
        }
        $known = [];
        foreach (['nameRecipient', 'phoneRecipient', 'addressRecipient', 'postcardText', 'data', 'city', 'when', 'shopId'] as $code) {
            $value = $properties[$code] ?? null;
            if ($value !== null && !is_scalar($value)) {
                throw new Invalid("properties.$code", "Свойство $code должно быть строкой");
            }
            $known[$code] = $value === null ? null : mb_substr((string) $value, 0, 2000);
        }
        $known['crmOrderId'] = $crmId;
        return [
            'crm_order_id' => $crmId,
            'status_id' => self::oneOf($order, 'status_id', self::STATUSES, 'order.'),
            'price' => self::decimal($order, 'price', 'order.'),
            'price_delivery' => ($order['price_delivery'] ?? null) === null ? '0' : self::decimal($order, 'price_delivery', 'order.'),
            'currency' => self::text($order, 'currency', 3, 'order.'),
            'user_description' => isset($order['user_description']) && is_string($order['user_description'])
                ? mb_substr($order['user_description'], 0, 2000) : null,
            'basket' => $lines,
            'properties' => $known,
        ];
    }

    /**
     * An edit made in the CRM: `fields` (the touched properties, USER_DESCRIPTION, the delivery
     * price, at their new values), `seen` (the same fields as the editor saw them), and, when the
     * edit touched the lines, the whole `basket` as the CRM has it.
     */
    private static function updateOrder(array $body): array
    {
        $read = static function (array $body, string $path): array {
            $fields = ['properties' => []];
            $properties = $body['properties'] ?? [];
            if (!is_array($properties) || ($properties !== [] && array_is_list($properties))) {
                throw new Invalid("$path.properties", "Поле $path.properties должно быть объектом");
            }
            foreach ($properties as $code => $value) {
                if (!in_array($code, self::EDITABLE_PROPERTIES, true)) {
                    throw new Invalid("$path.properties.$code", "Свойство $code нельзя менять из CRM");
                }
                if ($value !== null && !is_string($value)) {
                    throw new Invalid("$path.properties.$code", "Свойство $code должно быть строкой или null");
                }
                $fields['properties'][$code] = $value === null ? null : mb_substr($value, 0, 2000);
            }
            if (array_key_exists('user_description', $body)) {
                $value = $body['user_description'];
                if ($value !== null && !is_string($value)) {
                    throw new Invalid("$path.user_description", 'user_description должен быть строкой или null');
                }
                $fields['user_description'] = $value === null ? null : mb_substr($value, 0, 2000);
            }
            if (array_key_exists('price_delivery', $body)) {
                $fields['price_delivery'] = $body['price_delivery'] === null ? null : self::decimal($body, 'price_delivery', "$path.");
            }
            return $fields;
        };
        $id = self::id($body, 'bitrix_order_id');
        $fields = $read(self::object($body, 'fields'), 'fields');
        $seen = $read(self::object($body, 'seen'), 'seen');
        if (($fields['price_delivery'] ?? '') === null) {
            throw new Invalid('fields.price_delivery', 'Стоимость доставки должна быть числом');
        }
        $basket = null;
        if (array_key_exists('basket', $body) && $body['basket'] !== null) {
            $lines = $body['basket'];
            if (!is_array($lines) || !array_is_list($lines) || $lines === [] || count($lines) > self::MAX_BASKET) {
                throw new Invalid('basket', 'Корзина должна быть списком из 1–' . self::MAX_BASKET . ' строк');
            }
            $basket = [];
            foreach ($lines as $index => $line) {
                if (!is_array($line)) {
                    throw new Invalid("basket[$index]", 'Строка корзины должна быть объектом');
                }
                $crmItemId = self::text($line, 'crm_item_id', 36, "basket[$index].");
                if (!preg_match('/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i', $crmItemId)) {
                    throw new Invalid("basket[$index].crm_item_id", 'crm_item_id должен быть UUID строки CRM');
                }
                $basket[] = [
                    'basket_id' => ($line['basket_id'] ?? null) === null ? null : self::id($line, 'basket_id', "basket[$index]."),
                    'crm_item_id' => $crmItemId,
                    'product_id' => self::id($line, 'product_id', "basket[$index]."),
                    'name' => self::text($line, 'name', 255, "basket[$index]."),
                    'price' => self::decimal($line, 'price', "basket[$index]."),
                    'quantity' => self::decimal($line, 'quantity', "basket[$index].", positive: true),
                ];
            }
        }
        if ($fields === ['properties' => []] && $basket === null) {
            throw new Invalid('fields', 'Нечего менять: нет ни полей, ни корзины');
        }
        return ['bitrix_order_id' => $id, 'fields' => $fields, 'seen' => $seen, 'basket' => $basket];
    }

    private static function availability(array $body): array
    {
        $inStock = $body['in_stock'] ?? null;
        if (!is_bool($inStock)) {
            throw new Invalid('in_stock', 'in_stock должен быть true или false');
        }
        $value = self::oneOf($body, 'in_stock_value', ['158', '159']);
        if (($value === '158') !== $inStock) {
            throw new Invalid('in_stock_value', 'in_stock_value не совпадает с in_stock (158 — в наличии, 159 — нет)');
        }
        return ['bitrix_product_id' => self::id($body, 'bitrix_product_id'), 'in_stock' => $inStock];
    }

    private static function snapshot(array $body): array
    {
        $from = self::date($body, 'from');
        $to = self::date($body, 'to');
        if ($from > $to) {
            throw new Invalid('from', 'Начало периода позже его конца');
        }
        if ($from->diff($to)->days >= self::MAX_SNAPSHOT_DAYS) {
            throw new Invalid('to', 'Период не длиннее ' . self::MAX_SNAPSHOT_DAYS . ' дней');
        }
        $afterId = $body['after_id'] ?? 0;
        if (!is_int($afterId) || $afterId < 0) {
            throw new Invalid('after_id', 'after_id должен быть целым числом не меньше 0');
        }
        $limit = $body['limit'] ?? self::MAX_SNAPSHOT_PAGE;
        if (!is_int($limit) || $limit < 1 || $limit > self::MAX_SNAPSHOT_PAGE) {
            throw new Invalid('limit', 'limit должен быть от 1 до ' . self::MAX_SNAPSHOT_PAGE);
        }
        return ['from' => $from, 'to' => $to, 'after_id' => $afterId, 'limit' => $limit];
    }

    /**
     * A page of the catalogue: after_id (0..), limit (1..MAX_SNAPSHOT_PAGE), and optionally
     * changed_since (ISO 8601 with its offset): only the products changed since then.
     */
    private static function page(array $body): array
    {
        $afterId = $body['after_id'] ?? 0;
        if (!is_int($afterId) || $afterId < 0) {
            throw new Invalid('after_id', 'after_id должен быть целым числом не меньше 0');
        }
        $limit = $body['limit'] ?? self::MAX_SNAPSHOT_PAGE;
        if (!is_int($limit) || $limit < 1 || $limit > self::MAX_SNAPSHOT_PAGE) {
            throw new Invalid('limit', 'limit должен быть от 1 до ' . self::MAX_SNAPSHOT_PAGE);
        }
        $since = $body['changed_since'] ?? null;
        if ($since !== null) {
            $parsed = is_string($since) ? \DateTimeImmutable::createFromFormat(DATE_ATOM, $since) : false;
            if ($parsed === false) {
                throw new Invalid('changed_since', 'changed_since должно быть временем ISO 8601 со смещением (2026-12-02T10:00:00+05:00)');
            }
            $since = $parsed;
        }
        return ['after_id' => $afterId, 'limit' => $limit, 'changed_since' => $since];
    }

    private static function resend(array $body): array
    {
        $ids = $body['bitrix_order_ids'] ?? null;
        if (!is_array($ids) || !array_is_list($ids) || $ids === [] || count($ids) > self::MAX_RESEND) {
            throw new Invalid('bitrix_order_ids', 'bitrix_order_ids: список от 1 до ' . self::MAX_RESEND . ' номеров заказов');
        }
        foreach ($ids as $index => $id) {
            if (!is_int($id) || $id <= 0) {
                throw new Invalid("bitrix_order_ids[$index]", 'Номер заказа должен быть целым положительным числом');
            }
        }
        return ['bitrix_order_ids' => array_values(array_unique($ids))];
    }

    private static function object(array $body, string $field): array
    {
        $value = $body[$field] ?? null;
        if (!is_array($value) || ($value !== [] && array_is_list($value))) {
            throw new Invalid($field, "Поле $field должно быть объектом");
        }
        return $value;
    }

    private static function id(array $body, string $field, string $path = ''): int
    {
        $value = $body[$field] ?? null;
        if (is_string($value) && ctype_digit($value)) {
            $value = (int) $value;
        }
        if (!is_int($value) || $value <= 0) {
            throw new Invalid($path . $field, "Поле $path$field должно быть целым положительным числом");
        }
        return $value;
    }

    private static function text(array $body, string $field, int $max, string $path = ''): string
    {
        $value = $body[$field] ?? null;
        if (!is_string($value) || trim($value) === '') {
            throw new Invalid($path . $field, "Поле $path$field должно быть непустой строкой");
        }
        if (mb_strlen($value) > $max) {
            throw new Invalid($path . $field, "Поле $path$field длиннее $max символов");
        }
        return $value;
    }

    /** @param list<string> $allowed */
    private static function oneOf(array $body, string $field, array $allowed, string $path = ''): string
    {
        $value = $body[$field] ?? null;
        if (!is_string($value) || !in_array($value, $allowed, true)) {
            throw new Invalid($path . $field, "Поле $path$field: ожидается одно из " . implode(', ', $allowed));
        }
        return $value;
    }

    private static function decimal(array $body, string $field, string $path = '', bool $positive = false): string
    {
        $value = $body[$field] ?? null;
        if (!is_string($value) || !preg_match('/^\d{1,12}(\.\d{1,4})?$/', $value)) {
            throw new Invalid($path . $field, "Поле $path$field должно быть десятичным числом в строке, например \"9000.00\"");
        }
        if ($positive && preg_match('/^0+(\.0+)?$/', $value)) {
            throw new Invalid($path . $field, "Поле $path$field должно быть больше нуля");
        }
        return $value;
    }

    private static function date(array $body, string $field): \DateTimeImmutable
    {
        $value = $body[$field] ?? null;
        $date = is_string($value) ? \DateTimeImmutable::createFromFormat('!Y-m-d', $value, new \DateTimeZone('Asia/Almaty')) : false;
        if ($date === false || $date->format('Y-m-d') !== $value) {
            throw new Invalid($field, "Поле $field должно быть датой ГГГГ-ММ-ДД");
        }
        return $date;
    }
}
