<?php
declare(strict_types=1);

namespace CvetyCrm\Tests\Fake;

use CvetyCrm\Shop\Overwritten;
use CvetyCrm\Shop\Shop;
use CvetyCrm\Shop\ShopError;
use PDO;

/**
 * A stand-in for Bitrix's sale module behind the kit's Shop interface, on SQLite: orders,
 * baskets, a catalogue with stock, buyers. Like Bitrix, each save of an order fires the
 * OnSaleOrderSaved listener (IS_NEW, IS_CHANGED, VALUES = the old values of changed fields)
 * inside the save. Money is exact: decimal strings, summed in ten-thousandths.
 */
final class SqliteShop implements Shop
{
    /** @var (callable(array, bool, bool, array): void)|null */
    private $listener = null;

    public function __construct(public readonly PDO $pdo)
    {
        $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
        $pdo->setAttribute(PDO::ATTR_DEFAULT_FETCH_MODE, PDO::FETCH_ASSOC);
        $pdo->exec('PRAGMA busy_timeout = 5000');
        $pdo->exec('CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY AUTOINCREMENT, account_number TEXT,
            status_id TEXT NOT NULL, user_id INTEGER, price TEXT NOT NULL, price_delivery TEXT NOT NULL, currency TEXT,
            date_insert TEXT NOT NULL, date_update TEXT NOT NULL, user_description TEXT, properties TEXT NOT NULL)');
        $pdo->exec('CREATE TABLE IF NOT EXISTS basket (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id INTEGER NOT NULL,
            product_id INTEGER NOT NULL, name TEXT, price TEXT NOT NULL, quantity TEXT NOT NULL, currency TEXT, xml_id TEXT)');
        $pdo->exec('CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
            in_stock TEXT NOT NULL DEFAULT \'158\', quantity INTEGER NOT NULL DEFAULT 100)');
        $pdo->exec('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT, last_name TEXT, email TEXT,
            personal_phone TEXT)');
        // Bitrix-like ids, far from the ones tests make up on the CRM side.
        if ((int) $pdo->query('SELECT COUNT(*) FROM sqlite_sequence WHERE name = \'orders\'')->fetchColumn() === 0) {
            $pdo->exec("INSERT INTO sqlite_sequence (name, seq) VALUES ('orders', 700000), ('basket', 9000000)");
        }
        $pdo->exec("INSERT OR IGNORE INTO products (id, name, quantity) VALUES (15652, 'Букет Стандарт', 1000),
            (15653, 'Розы красные', 1000), (15654, 'Тюльпаны (нет на складе)', 0)");
        $pdo->exec("INSERT OR IGNORE INTO users (id, name, last_name, email, personal_phone)
            VALUES (4521, 'Марат', 'Ахметов', 'm@example.kz', '+77015550000')");
    }

    public static function open(string $path): self
    {
        return new self(new PDO('sqlite:' . $path));
    }

    /** Bitrix's sale:OnSaleOrderSaved, as the kit's handler receives it. */
    public function onSave(callable $listener): void
    {
        $this->listener = $listener;
    }

    public function findOrderByCrmId(string $crmOrderId): ?int
    {
        $find = $this->pdo->prepare("SELECT id FROM orders WHERE json_extract(properties, '$.crmOrderId') = ?");
        $find->execute([$crmOrderId]);
        $id = $find->fetchColumn();
        return $id === false ? null : (int) $id;
    }

    public function createOrder(array $request): int
    {
        return $this->create([
            'status_id' => $request['status_id'],
            'user_id' => null,
            'price_delivery' => $request['price_delivery'],
            'currency' => $request['currency'],
            'user_description' => $request['user_description'],
            'properties' => $request['properties'],
            'basket' => $request['basket'],
        ]);
    }

    /**
     * A new order, as the storefront (or the gateway) makes one: everything in one transaction,
     * then the save's event. A product missing or out of stock saves nothing.
     *
     * @param array<string, mixed> $order status_id, user_id, price_delivery, currency,
     *   user_description, properties, basket (product_id, name, price, quantity)
     */
    public function create(array $order): int
    {
        $this->pdo->beginTransaction();
        try {
            $now = self::now();
            $lines = 0;
            foreach ($order['basket'] as $line) {
                $product = $this->pdo->prepare('SELECT quantity FROM products WHERE id = ?');
                $product->execute([$line['product_id']]);
                $stock = $product->fetchColumn();
                if ($stock === false) {
                    throw ShopError::productNotFound((int) $line['product_id']);
                }
                if ((int) $stock <= 0) {
                    throw ShopError::notAvailable((int) $line['product_id']);
                }
                $lines += intdiv(self::units((string) $line['price']) * self::units((string) $line['quantity']), 10000);
            }
            $price = self::decimal($lines + self::units((string) $order['price_delivery']));
            $insert = $this->pdo->prepare('INSERT INTO orders (status_id, user_id, price, price_delivery, currency, date_insert,
                date_update, user_description, properties) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
            $insert->execute([$order['status_id'], $order['user_id'], $price, self::decimal(self::units((string) $order['price_delivery'])),
                $order['currency'], $now, $now, $order['user_description'],
                json_encode((object) $order['properties'], JSON_UNESCAPED_UNICODE)]);
            $id = (int) $this->pdo->lastInsertId();
            $this->pdo->prepare('UPDATE orders SET account_number = ? WHERE id = ?')->execute([(string) $id, $id]);
            foreach ($order['basket'] as $line) {
                $this->pdo->prepare('INSERT INTO basket (order_id, product_id, name, price, quantity, currency) VALUES (?, ?, ?, ?, ?, ?)')
                    ->execute([$id, $line['product_id'], $line['name'], $line['price'], $line['quantity'], $order['currency']]);
            }
            $this->saved($id, true, []);
            $this->pdo->commit();
            return $id;
        } catch (\Throwable $failure) {
            $this->pdo->rollBack();
            throw $failure;
        }
    }

    public function setStatus(int $orderId, string $statusId): bool
    {
        $old = $this->row($orderId) ?? throw ShopError::orderNotFound($orderId);
        if ($old['status_id'] === $statusId) {
            return false;
        }
        $this->change($orderId, ['status_id' => $statusId], ['STATUS_ID' => $old['status_id']]);
        return true;
    }

    public function updateOrder(int $orderId, array $fields, ?array $basket, array $seen): array
    {
        $old = $this->row($orderId) ?? throw ShopError::orderNotFound($orderId);
        $properties = json_decode($old['properties'], true) ?: [];
        $before = ['properties' => []];
        foreach ($fields['properties'] as $code => $_) {
            $before['properties'][$code] = isset($properties[$code]) ? (string) $properties[$code] : null;
        }
        if (array_key_exists('user_description', $fields)) {
            $before['user_description'] = $old['user_description'];
        }
        if (array_key_exists('price_delivery', $fields)) {
            $before['price_delivery'] = $old['price_delivery'];
        }
        $overwritten = Overwritten::fields($before, $fields, $seen);

        $this->pdo->beginTransaction();
        try {
            $values = [];
            $set = [];
            $newProperties = array_merge($properties, $fields['properties']);
            if ($newProperties !== $properties) {
                $set['properties'] = json_encode((object) $newProperties, JSON_UNESCAPED_UNICODE);
                $values['PROPERTIES'] = $old['properties'];
            }
            if (array_key_exists('user_description', $fields) && $fields['user_description'] !== $old['user_description']) {
                $set['user_description'] = $fields['user_description'];
                $values['USER_DESCRIPTION'] = $old['user_description'];
            }
            $delivery = self::units((string) ($fields['price_delivery'] ?? $old['price_delivery']));
            if ($delivery !== self::units($old['price_delivery'])) {
                $set['price_delivery'] = self::decimal($delivery);
                $values['PRICE_DELIVERY'] = $old['price_delivery'];
            }
            if ($basket !== null && $this->replaceBasket($orderId, $basket, (string) $old['currency'])) {
                $values['BASKET'] = 'changed';
            }
            if ($values === []) {
                $this->pdo->rollBack();
                return ['changed' => false, 'overwritten' => $overwritten];
            }
            $lines = $this->pdo->prepare('SELECT price, quantity FROM basket WHERE order_id = ?');
            $lines->execute([$orderId]);
            $sum = 0;
            foreach ($lines->fetchAll() as $line) {
                $sum += intdiv(self::units($line['price']) * self::units($line['quantity']), 10000);
            }
            $set['price'] = self::decimal($sum + $delivery);
            if ($set['price'] !== $old['price']) {
                $values['PRICE'] = $old['price'];
            }
            $sets = implode(', ', array_map(static fn (string $c): string => "$c = ?", array_keys($set)));
            $this->pdo->prepare("UPDATE orders SET $sets, date_update = ? WHERE id = ?")
                ->execute([...array_values($set), self::now(), $orderId]);
            $this->saved($orderId, false, $values);
            $this->pdo->commit();
            return ['changed' => true, 'overwritten' => $overwritten];
        } catch (\Throwable $failure) {
            $this->pdo->rollBack();
            throw $failure;
        }
    }

    /**
     * The basket made exactly $lines (inside the caller's transaction); true when it changed.
     *
     * @param list<array<string, mixed>> $lines
     */
    private function replaceBasket(int $orderId, array $lines, string $currency): bool
    {
        $current = $this->pdo->prepare('SELECT * FROM basket WHERE order_id = ? ORDER BY id');
        $current->execute([$orderId]);
        $existing = $current->fetchAll();
        $kept = [];
        $changed = false;
        foreach ($lines as $line) {
            $match = null;
            foreach ($existing as $row) {
                if (($line['basket_id'] !== null && (int) $row['id'] === $line['basket_id'])
                    || ($line['basket_id'] === null && $row['xml_id'] === $line['crm_item_id'])) {
                    $match = $row;
                    break;
                }
            }
            // No match: a new line, or one removed in Bitrix meanwhile (the CRM's basket brings it back).
            if ($match === null) {
                $product = $this->pdo->prepare('SELECT quantity FROM products WHERE id = ?');
                $product->execute([$line['product_id']]);
                $stock = $product->fetchColumn();
                if ($stock === false) {
                    throw ShopError::productNotFound($line['product_id']);
                }
                if ((int) $stock <= 0) {
                    throw ShopError::notAvailable($line['product_id']);
                }
                $this->pdo->prepare('INSERT INTO basket (order_id, product_id, name, price, quantity, currency, xml_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?)')->execute([$orderId, $line['product_id'], $line['name'], $line['price'],
                    $line['quantity'], $currency, $line['crm_item_id']]);
                $kept[] = (int) $this->pdo->lastInsertId();
                $changed = true;
                continue;
            }
            $kept[] = (int) $match['id'];
            if (self::units($match['quantity']) !== self::units($line['quantity'])) {
                $this->pdo->prepare('UPDATE basket SET quantity = ? WHERE id = ?')->execute([$line['quantity'], $match['id']]);
                $changed = true;
            }
        }
        foreach ($existing as $row) {
            if (!in_array((int) $row['id'], $kept, true)) {
                $this->pdo->prepare('DELETE FROM basket WHERE id = ?')->execute([$row['id']]);
                $changed = true;
            }
        }
        return $changed;
    }

    /**
     * A manager's edit in Bitrix's admin: the given columns (status_id, user_description) and
     * properties, then the save's event.
     *
     * @param array<string, mixed> $fields
     * @param array<string, mixed> $properties
     */
    public function edit(int $orderId, array $fields, array $properties = []): void
    {
        $old = $this->row($orderId) ?? throw ShopError::orderNotFound($orderId);
        $values = [];
        foreach ($fields as $column => $value) {
            $values[strtoupper($column)] = $old[$column];
        }
        if ($properties !== []) {
            $fields['properties'] = json_encode((object) array_merge(json_decode($old['properties'], true) ?: [], $properties),
                JSON_UNESCAPED_UNICODE);
            $values['PROPERTIES'] = $old['properties'];
        }
        $this->change($orderId, $fields, $values);
    }

    public function setAvailability(int $productId, bool $inStock): void
    {
        $update = $this->pdo->prepare('UPDATE products SET in_stock = ? WHERE id = ?');
        $update->execute([$inStock ? '158' : '159', $productId]);
        if ($update->rowCount() === 0) {
            throw ShopError::productNotFound($productId);
        }
    }

    public function snapshot(\DateTimeImmutable $from, \DateTimeImmutable $to, int $afterId, int $limit): array
    {
        $rows = $this->pdo->prepare('SELECT id, status_id, price, date_update FROM orders
            WHERE id > ? AND substr(date_insert, 1, 10) BETWEEN ? AND ? ORDER BY id LIMIT ?');
        $rows->execute([$afterId, $from->format('Y-m-d'), $to->format('Y-m-d'), $limit]);
        return array_map(static fn (array $row): array => [
            'id' => (int) $row['id'], 'status_id' => $row['status_id'], 'price' => $row['price'],
            'date_update' => $row['date_update'],
        ], $rows->fetchAll());
    }

    public function orderRecord(int $orderId): ?array
    {
        $row = $this->row($orderId);
        if ($row === null) {
            return null;
        }
        $lines = $this->pdo->prepare('SELECT id, product_id, name, price, quantity, currency FROM basket WHERE order_id = ? ORDER BY id');
        $lines->execute([$orderId]);
        $user = null;
        if ($row['user_id'] !== null) {
            $find = $this->pdo->prepare('SELECT id AS "ID", name AS "NAME", last_name AS "LAST_NAME", email AS "EMAIL",
                personal_phone AS "PERSONAL_PHONE" FROM users WHERE id = ?');
            $find->execute([$row['user_id']]);
            $user = $find->fetch() ?: null;
        }
        return [
            'ID' => (int) $row['id'],
            'ACCOUNT_NUMBER' => $row['account_number'],
            'STATUS_ID' => $row['status_id'],
            'USER_ID' => $row['user_id'],
            'PRICE' => $row['price'],
            'PRICE_DELIVERY' => $row['price_delivery'],
            'CURRENCY' => $row['currency'],
            'DATE_INSERT' => new \DateTimeImmutable($row['date_insert']),
            'DATE_UPDATE' => new \DateTimeImmutable($row['date_update']),
            'USER_DESCRIPTION' => $row['user_description'],
            'properties' => json_decode($row['properties'], true) ?: [],
            'basket' => array_map(static fn (array $line): array => [
                'ID' => $line['id'], 'PRODUCT_ID' => $line['product_id'], 'NAME' => $line['name'],
                'PRICE' => $line['price'], 'QUANTITY' => $line['quantity'], 'CURRENCY' => $line['currency'],
            ], $lines->fetchAll()),
            'user' => $user,
        ];
    }

    public function orderIds(int $afterId, int $limit, ?int $toId, ?\DateTimeImmutable $since): array
    {
        $rows = $this->pdo->prepare('SELECT id FROM orders WHERE id > ? AND id <= ? AND date_update >= ? ORDER BY id LIMIT ?');
        $rows->execute([$afterId, $toId ?? PHP_INT_MAX, $since?->format(DATE_ATOM) ?? '', $limit]);
        return array_map('intval', $rows->fetchAll(PDO::FETCH_COLUMN));
    }

    public function inStock(int $productId): ?string
    {
        $find = $this->pdo->prepare('SELECT in_stock FROM products WHERE id = ?');
        $find->execute([$productId]);
        $value = $find->fetchColumn();
        return $value === false ? null : (string) $value;
    }

    /** @return array<string, mixed>|null */
    private function row(int $orderId): ?array
    {
        $find = $this->pdo->prepare('SELECT * FROM orders WHERE id = ?');
        $find->execute([$orderId]);
        return $find->fetch() ?: null;
    }

    /** @param array<string, mixed> $fields @param array<string, mixed> $oldValues */
    private function change(int $orderId, array $fields, array $oldValues): void
    {
        $this->pdo->beginTransaction();
        try {
            $sets = implode(', ', array_map(static fn (string $c): string => "$c = ?", array_keys($fields)));
            $this->pdo->prepare("UPDATE orders SET $sets, date_update = ? WHERE id = ?")
                ->execute([...array_values($fields), self::now(), $orderId]);
            $this->saved($orderId, false, $oldValues);
            $this->pdo->commit();
        } catch (\Throwable $failure) {
            $this->pdo->rollBack();
            throw $failure;
        }
    }

    /** The save's event, inside the save (as Bitrix fires OnSaleOrderSaved). */
    private function saved(int $orderId, bool $isNew, array $oldValues): void
    {
        if ($this->listener !== null) {
            ($this->listener)($this->orderRecord($orderId), $isNew, true, $oldValues);
        }
    }

    private static function now(): string
    {
        return (new \DateTimeImmutable('now', new \DateTimeZone('Asia/Almaty')))->format(DATE_ATOM);
    }

    /** A decimal string in ten-thousandths. */
    private static function units(string $decimal): int
    {
        [$whole, $fraction] = array_pad(explode('.', $decimal, 2), 2, '');
        return (int) $whole * 10000 + (int) str_pad(substr($fraction, 0, 4), 4, '0');
    }

    private static function decimal(int $units): string
    {
        return sprintf('%d.%02d', intdiv($units, 10000), intdiv($units % 10000, 100));
    }

    /** @var array<string, list<array<string, mixed>>> what reference() answers; tests change it */
    public array $reference = [
        'slots' => [['id' => '18', 'name' => '15:00-16:00', 'sort' => 100], ['id' => '19', 'name' => '16:00-17:00', 'sort' => 110],
                    ['id' => '23', 'name' => '21:00-22:00', 'sort' => 150]],
        'cities' => [['id' => '2', 'name' => 'Алматы'], ['id' => '3', 'name' => 'Астана']],
        'shops' => [['id' => '17008', 'name' => 'CVETYKZ']],
        'statuses' => [['id' => 'N', 'name' => 'Принят, ожидается оплата'], ['id' => 'AP', 'name' => 'Принят']],
        'pay_systems' => [['id' => '7', 'name' => 'Kaspi'], ['id' => '3', 'name' => 'Наличные курьеру']],
        'deliveries' => [['id' => '2', 'name' => 'Курьер']],
    ];

    public function reference(): array
    {
        return $this->reference;
    }

    public function catalog(int $afterId, int $limit, ?\DateTimeImmutable $changedSince = null): array
    {
        // Every product of this stand-in last changed at 2026-11-30T10:00:00+05:00.
        if ($changedSince !== null && $changedSince > new \DateTimeImmutable('2026-11-30T10:00:00+05:00')) {
            return [];
        }
        $rows = $this->pdo->prepare('SELECT id, name, in_stock FROM products WHERE id > ? ORDER BY id LIMIT ?');
        $rows->execute([$afterId, $limit]);
        return array_map(static fn (array $row): array => [
            'id' => (string) $row['id'], 'name' => $row['name'], 'code' => 'product-' . $row['id'], 'active' => 'Y',
            'section' => ['id' => '10', 'name' => 'Букеты'], 'price' => '7500', 'currency' => 'KZT',
            'in_stock' => $row['in_stock'], 'picture' => 'https://cvety.kz/upload/iblock/' . $row['id'] . '.jpg',
            'changed_at' => '2026-11-30T10:00:00+05:00',
        ], $rows->fetchAll());
    }
}
