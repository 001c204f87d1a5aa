<?php
declare(strict_types=1);

namespace CvetyCrm\Bitrix;

use Bitrix\Main\Application;
use Bitrix\Main\Event;
use Bitrix\Main\EventManager;
use Bitrix\Main\Loader;
use Bitrix\Main\Type\DateTime as BitrixDateTime;
use Bitrix\Main\UserTable;
use Bitrix\Sale;
use CvetyCrm\Config;
use CvetyCrm\Kit;
use CvetyCrm\Shop\Shop;
use CvetyCrm\Shop\ShopError;
use CvetyCrm\Webhook\Deferrer;

/**
 * The only class that calls Bitrix's API (D7 `sale`, `catalog`, `iblock`, `main`). Everything
 * it does goes through Bitrix's own objects and their save(), never a query on Bitrix's tables,
 * so Bitrix's events, caches and logs see every change. Not run in this repository's tests:
 * tests/Fake/SqliteShop stands in for it behind the same interface.
 */
final class BitrixShop implements Shop, Deferrer
{
    private const TIME_ZONE = 'Asia/Almaty';
    private const IN_STOCK = 158;
    private const OUT_OF_STOCK = 159;

    /** @param array<string, mixed> $ids Config::bitrix() */
    public function __construct(private array $ids)
    {
        Loader::includeModule('sale');
        Loader::includeModule('catalog');
        Loader::includeModule('iblock');
    }

    /**
     * For /local/php_interface/init.php: registers the sale:OnSaleOrderSaved handler; the kit
     * itself is built on first use (most pages never need it).
     */
    public static function register(string $kitDirectory): void
    {
        Kit::bootLazily(static function () use ($kitDirectory): Kit {
            $config = Config::load($kitDirectory);
            $shop = new self($config->bitrix());
            return Kit::connect($config, $shop, $shop);
        });
        EventManager::getInstance()->addEventHandler('sale', 'OnSaleOrderSaved', [self::class, 'onOrderSaved']);
        // sale's status e-mails (modules/sale/lib/compatible/eventcompatibility.php
        // EVENT_COMPATIBILITY_ORDER_STATUS_SEND_EMAIL: handler($orderId, &$eventName, &$fields, $statusId)).
        EventManager::getInstance()->addEventHandlerCompatible('sale', 'OnOrderStatusSendEmail', [self::class, 'onStatusEmail']);
    }

    /**
     * sale:OnOrderStatusSendEmail: adds #CRM_TRACK_URL# (the buyer's tracking link, from the order
     * property crmTrackUrl) to the e-mail's fields. Never stops the e-mail.
     *
     * @param array<string, mixed> $fields
     */
    public static function onStatusEmail(mixed $orderId, mixed &$eventName, array &$fields, mixed $statusId = null): bool
    {
        $url = null;
        try {
            $order = Sale\Order::load((int) $orderId);
            foreach ($order?->getPropertyCollection() ?? [] as $property) {
                if ($property->getField('CODE') === \CvetyCrm\Shop\MailFields::TRACK_PROPERTY) {
                    $url = (string) $property->getValue();
                }
            }
        } catch (\Throwable $failure) {
            \AddMessage2Log('cvety-crm: the tracking link was not added to the e-mail: ' . $failure->getMessage(), 'cvetycrm');
        }
        $fields = \CvetyCrm\Shop\MailFields::withTrackUrl($fields, $url);
        return true;
    }

    /** sale:OnSaleOrderSaved. A failure here is logged and never breaks the order's save. */
    public static function onOrderSaved(Event $event): void
    {
        try {
            $order = $event->getParameter('ENTITY');
            if (!$order instanceof Sale\Order) {
                return;
            }
            Kit::instance()->events->handle(
                self::record($order),
                (bool) $event->getParameter('IS_NEW'),
                (bool) $event->getParameter('IS_CHANGED'),
                (array) $event->getParameter('VALUES'),
            );
        } catch (\Throwable $failure) {
            \AddMessage2Log('cvety-crm: the webhook of an order save was not recorded: ' . $failure->getMessage(), 'cvetycrm');
        }
    }

    /** The gateway's entry file: answers, then lets Bitrix finish (background jobs run after). */
    public static function serveGateway(): void
    {
        $headers = array_change_key_case(function_exists('getallheaders') ? (getallheaders() ?: []) : [], CASE_LOWER);
        $body = (string) file_get_contents('php://input');
        Kit::instance()->gateway->handle($_SERVER['REQUEST_METHOD'] ?? 'GET', $headers, $body)->send();
        \CMain::FinalActions();
    }

    public function defer(callable $job): void
    {
        Application::getInstance()->addBackgroundJob($job);
    }

    public function findOrderByCrmId(string $crmOrderId): ?int
    {
        $row = Sale\Internals\OrderPropsValueTable::getList([
            'select' => ['ORDER_ID'],
            'filter' => ['=CODE' => 'crmOrderId', '=VALUE' => $crmOrderId],
            'limit' => 1,
        ])->fetch();
        return $row ? (int) $row['ORDER_ID'] : null;
    }

    public function createOrder(array $request): int
    {
        $siteId = (string) ($this->ids['site_id'] ?? 's1');
        $currency = $request['currency'];
        $order = Sale\Order::create($siteId, (int) ($this->ids['user_id'] ?? 0));
        $order->setPersonTypeId((int) ($this->ids['person_type_id'] ?? 1));
        $order->setField('CURRENCY', $currency);
        if ($request['user_description'] !== null) {
            $order->setField('USER_DESCRIPTION', $request['user_description']);
        }

        $basket = Sale\Basket::create($siteId);
        foreach ($request['basket'] as $line) {
            $this->addLine($basket, $line, $currency, $siteId);
        }
        $this->check($order->setBasket($basket));

        $shipment = $order->getShipmentCollection()->createItem(
            Sale\Delivery\Services\Manager::getObjectById((int) ($this->ids['delivery_id'] ?? 1)),
        );
        $this->check($shipment->setFields([
            'CUSTOM_PRICE_DELIVERY' => 'Y',
            'BASE_PRICE_DELIVERY' => (float) $request['price_delivery'],
            'PRICE_DELIVERY' => (float) $request['price_delivery'],
            'CURRENCY' => $currency,
        ]));
        $items = $shipment->getShipmentItemCollection();
        foreach ($basket as $basketItem) {
            $items->createItem($basketItem)->setQuantity($basketItem->getQuantity());
        }

        $payment = $order->getPaymentCollection()->createItem(
            Sale\PaySystem\Manager::getObjectById((int) ($this->ids['pay_system_id'] ?? 1)),
        );
        $payment->setField('SUM', $order->getPrice());
        $payment->setField('CURRENCY', $currency);

        foreach ($order->getPropertyCollection() as $property) {
            $code = (string) $property->getField('CODE');
            if (array_key_exists($code, $request['properties']) && $request['properties'][$code] !== null) {
                $property->setValue($request['properties'][$code]);
            }
        }
        $order->setField('STATUS_ID', $request['status_id']);
        // One save: before it nothing is written, so a failed step leaves nothing half-created.
        $this->check($order->save());
        return (int) $order->getId();
    }

    /**
     * Mirrors sale's own edit path (modules/sale/lib/order.php Order::load/save;
     * entitypropertyvalue.php, whose setValue() is setField('VALUE') and returns a Result;
     * basketitem.php, shipment.php): every change is made on the loaded order's objects, then
     * one save(), so OnSaleOrderSaved fires once with the kit's change marker and nothing is
     * written when a step fails.
     */
    public function updateOrder(int $orderId, array $fields, ?array $basket, array $seen): array
    {
        $order = Sale\Order::load($orderId) ?? throw ShopError::orderNotFound($orderId);
        $before = ['properties' => []];
        $properties = [];
        foreach ($order->getPropertyCollection() as $property) {
            $properties[(string) $property->getField('CODE')] = $property;
        }
        foreach ($fields['properties'] as $code => $value) {
            $property = $properties[$code] ?? throw ShopError::refused("у заказа нет свойства $code");
            $current = $property->getValue();
            $before['properties'][$code] = $current === null || $current === '' ? null : (string) $current;
            $this->check($property->setValue($value ?? ''));
        }
        if (array_key_exists('user_description', $fields)) {
            $before['user_description'] = (string) $order->getField('USER_DESCRIPTION') ?: null;
            $this->check($order->setField('USER_DESCRIPTION', $fields['user_description'] ?? ''));
        }
        $shipment = null;
        foreach ($order->getShipmentCollection() as $candidate) {
            if (!$candidate->isSystem()) {
                $shipment = $candidate;
                break;
            }
        }
        if (array_key_exists('price_delivery', $fields)) {
            $before['price_delivery'] = $shipment === null ? null : (string) $shipment->getField('PRICE_DELIVERY');
            if ($shipment === null) {
                throw ShopError::refused('у заказа нет отгрузки для стоимости доставки');
            }
            $this->check($shipment->setFields([
                'CUSTOM_PRICE_DELIVERY' => 'Y',
                'BASE_PRICE_DELIVERY' => (float) $fields['price_delivery'],
                'PRICE_DELIVERY' => (float) $fields['price_delivery'],
            ]));
        }
        if ($basket !== null) {
            $this->replaceBasket($order, $basket, $shipment);
        }
        $overwritten = \CvetyCrm\Shop\Overwritten::fields($before, $fields, $seen);
        if (!$order->isChanged()) {
            return ['changed' => false, 'overwritten' => $overwritten];
        }
        $this->check($order->save());
        return ['changed' => true, 'overwritten' => $overwritten];
    }

    /**
     * A catalogue line at the CRM's price (CUSTOM_PRICE: Bitrix keeps it as given).
     *
     * @param array<string, mixed> $line product_id, name, price, quantity
     * @param array<string, mixed> $extra more basket fields (XML_ID)
     */
    private function addLine(Sale\BasketBase $basket, array $line, string $currency, string $siteId, array $extra = []): Sale\BasketItemBase
    {
        $item = $basket->createItem('catalog', $line['product_id']);
        $this->check($item->setFields([
            'NAME' => $line['name'],
            'QUANTITY' => (float) $line['quantity'],
            'CURRENCY' => $currency,
            'LID' => $siteId,
            'PRICE' => (float) $line['price'],
            'BASE_PRICE' => (float) $line['price'],
            'CUSTOM_PRICE' => 'Y',
            'PRODUCT_PROVIDER_CLASS' => '\\Bitrix\\Catalog\\Product\\CatalogProvider',
        ] + $extra), $line['product_id']);
        return $item;
    }

    /**
     * The order's basket made exactly $lines: found by ID, or by XML_ID (the CRM line's id) for a
     * line added by an earlier edit; missing ones deleted; new ones created at the CRM's price.
     *
     * @param list<array<string, mixed>> $lines
     */
    private function replaceBasket(Sale\Order $order, array $lines, ?Sale\Shipment $shipment): void
    {
        $basket = $order->getBasket();
        $siteId = (string) $order->getSiteId();
        $currency = (string) $order->getCurrency();
        $kept = [];
        foreach ($lines as $line) {
            $item = null;
            foreach ($basket as $candidate) {
                if (($line['basket_id'] !== null && (int) $candidate->getId() === $line['basket_id'])
                    || ($line['basket_id'] === null && (string) $candidate->getField('XML_ID') === $line['crm_item_id'])) {
                    $item = $candidate;
                    break;
                }
            }
            if ($item === null) {
                $item = $this->addLine($basket, $line, $currency, $siteId, ['XML_ID' => $line['crm_item_id']]);
                if ($shipment !== null) {
                    $this->check($shipment->getShipmentItemCollection()->createItem($item)->setQuantity($item->getQuantity()));
                }
            } elseif ((float) $item->getQuantity() !== (float) $line['quantity']) {
                $this->check($item->setField('QUANTITY', (float) $line['quantity']), $line['product_id']);
            }
            $kept[] = $item->getInternalIndex();
        }
        foreach ($basket as $candidate) {
            if (!in_array($candidate->getInternalIndex(), $kept, true)) {
                $this->check($candidate->delete());
            }
        }
    }

    public function setStatus(int $orderId, string $statusId): bool
    {
        $order = Sale\Order::load($orderId) ?? throw ShopError::orderNotFound($orderId);
        if ($order->getField('STATUS_ID') === $statusId) {
            return false;
        }
        $this->check($order->setField('STATUS_ID', $statusId));
        $this->check($order->save());
        return true;
    }

    public function setAvailability(int $productId, bool $inStock): void
    {
        $iblockId = (int) \CIBlockElement::GetIBlockByID($productId);
        if ($iblockId <= 0) {
            throw ShopError::productNotFound($productId);
        }
        \CIBlockElement::SetPropertyValuesEx($productId, $iblockId, ['IN_STOCK' => $inStock ? self::IN_STOCK : self::OUT_OF_STOCK]);
    }

    public function snapshot(\DateTimeImmutable $from, \DateTimeImmutable $to, int $afterId, int $limit): array
    {
        $zone = new \DateTimeZone(self::TIME_ZONE);
        $rows = Sale\Order::getList([
            'select' => ['ID', 'STATUS_ID', 'PRICE', 'DATE_UPDATE'],
            'filter' => [
                '>ID' => $afterId,
                '>=DATE_INSERT' => BitrixDateTime::createFromPhp(\DateTime::createFromImmutable($from->setTimezone($zone)->setTime(0, 0))),
                '<DATE_INSERT' => BitrixDateTime::createFromPhp(\DateTime::createFromImmutable($to->setTimezone($zone)->setTime(0, 0)->modify('+1 day'))),
            ],
            'order' => ['ID' => 'ASC'],
            'limit' => $limit,
        ]);
        $orders = [];
        while ($row = $rows->fetch()) {
            $orders[] = [
                'id' => (int) $row['ID'],
                'status_id' => (string) $row['STATUS_ID'],
                'price' => rtrim(rtrim(sprintf('%.4F', (float) $row['PRICE']), '0'), '.'),
                'date_update' => self::date($row['DATE_UPDATE'])?->format(DATE_ATOM) ?? '',
            ];
        }
        return $orders;
    }

    public function orderRecord(int $orderId): ?array
    {
        $order = Sale\Order::load($orderId);
        return $order === null ? null : self::record($order);
    }

    public function orderIds(int $afterId, int $limit, ?int $toId, ?\DateTimeImmutable $since): array
    {
        $filter = ['>ID' => $afterId];
        if ($toId !== null) {
            $filter['<=ID'] = $toId;
        }
        if ($since !== null) {
            $filter['>=DATE_UPDATE'] = BitrixDateTime::createFromPhp(\DateTime::createFromImmutable($since));
        }
        $rows = Sale\Order::getList(['select' => ['ID'], 'filter' => $filter, 'order' => ['ID' => 'ASC'], 'limit' => $limit]);
        $ids = [];
        while ($row = $rows->fetch()) {
            $ids[] = (int) $row['ID'];
        }
        return $ids;
    }

    public function catalog(int $afterId, int $limit, ?\DateTimeImmutable $changedSince = null): array
    {
        $iblockId = (int) ($this->ids['catalog_iblock_id'] ?? 0);
        $filter = ['=IBLOCK_ID' => $iblockId, '>ID' => $afterId];
        if ($changedSince !== null) {
            // TIMESTAMP_X moves on every save of the element (its properties, IN_STOCK among them).
            $filter['>=TIMESTAMP_X'] = BitrixDateTime::createFromPhp(\DateTime::createFromImmutable($changedSince));
        }
        // iblock/lib/element.php (ElementTable): the catalogue's elements, active or not.
        $rows = \Bitrix\Iblock\ElementTable::getList([
            'select' => ['ID', 'NAME', 'CODE', 'ACTIVE', 'IBLOCK_SECTION_ID', 'DETAIL_PICTURE', 'PREVIEW_PICTURE', 'TIMESTAMP_X'],
            'filter' => $filter,
            'order' => ['ID' => 'ASC'],
            'limit' => $limit,
        ]);
        $elements = [];
        while ($row = $rows->fetch()) {
            $elements[(int) $row['ID']] = $row;
        }
        if ($elements === []) {
            return [];
        }
        $ids = array_keys($elements);
        // iblock/lib/section.php (SectionTable): the sections' names.
        $sections = [];
        $sectionIds = array_values(array_unique(array_filter(array_map(
            static fn (array $row): int => (int) $row['IBLOCK_SECTION_ID'], $elements))));
        if ($sectionIds !== []) {
            $found = \Bitrix\Iblock\SectionTable::getList(['select' => ['ID', 'NAME'], 'filter' => ['@ID' => $sectionIds]]);
            while ($section = $found->fetch()) {
                $sections[(int) $section['ID']] = (string) $section['NAME'];
            }
        }
        // catalog/lib/price.php (PriceTable) in the base price type (catalog/lib/group.php: BASE = Y).
        $prices = [];
        $base = \Bitrix\Catalog\GroupTable::getList(['select' => ['ID'], 'filter' => ['=BASE' => 'Y']])->fetch();
        if ($base !== false) {
            $found = \Bitrix\Catalog\PriceTable::getList([
                'select' => ['PRODUCT_ID', 'PRICE', 'CURRENCY'],
                'filter' => ['@PRODUCT_ID' => $ids, '=CATALOG_GROUP_ID' => (int) $base['ID']],
            ]);
            while ($price = $found->fetch()) {
                $prices[(int) $price['PRODUCT_ID']] = $price;
            }
        }
        // iblock/classes/general/iblockelement.php: the IN_STOCK property of each element.
        $stock = [];
        \CIBlockElement::GetPropertyValuesArray($stock, $iblockId, ['ID' => $ids], ['CODE' => 'IN_STOCK']);
        $storefront = rtrim((string) ($this->ids['storefront_url'] ?? ''), '/');
        $products = [];
        foreach ($elements as $id => $row) {
            $picture = (int) ($row['DETAIL_PICTURE'] ?: $row['PREVIEW_PICTURE']);
            $path = $picture > 0 ? (string) \CFile::GetPath($picture) : '';
            $inStock = $stock[$id]['IN_STOCK']['VALUE_ENUM_ID'] ?? $stock[$id]['IN_STOCK']['VALUE'] ?? null;
            $section = (int) $row['IBLOCK_SECTION_ID'];
            $products[] = [
                'id' => (string) $id,
                'name' => (string) $row['NAME'],
                'code' => (string) $row['CODE'],
                'active' => $row['ACTIVE'] === 'Y' ? 'Y' : 'N',
                'section' => $section > 0 ? ['id' => (string) $section, 'name' => $sections[$section] ?? ''] : null,
                'price' => isset($prices[$id]) ? rtrim(rtrim(sprintf('%.4F', (float) $prices[$id]['PRICE']), '0'), '.') : null,
                'currency' => isset($prices[$id]) ? (string) $prices[$id]['CURRENCY'] : null,
                'in_stock' => $inStock !== null && $inStock !== '' ? (string) $inStock : null,
                'picture' => $path === '' ? null : (str_starts_with($path, 'http') ? $path : $storefront . $path),
                'changed_at' => self::date($row['TIMESTAMP_X'])?->format(DATE_ATOM),
            ];
        }
        return $products;
    }

    public function reference(): array
    {
        return [
            'slots' => $this->variants('when', true),
            'cities' => $this->variants('city', false),
            'shops' => $this->variants('shopId', false),
            // sale/lib/statusbase.php: StatusTable with StatusLangTable's NAME, type O (orders).
            'statuses' => self::pairs(Sale\OrderStatus::getAllStatusesNames(LANGUAGE_ID)),
            // sale/lib/paysystem/manager.php
            'pay_systems' => self::rows(Sale\PaySystem\Manager::getList([
                'select' => ['ID', 'NAME'], 'filter' => ['=ACTIVE' => 'Y'], 'order' => ['SORT' => 'ASC'],
            ])),
            // sale/lib/delivery/services/manager.php: id => fields of the active services.
            'deliveries' => array_values(array_map(
                static fn (array $service): array => ['id' => (string) $service['ID'], 'name' => (string) $service['NAME']],
                Sale\Delivery\Services\Manager::getActiveList(),
            )),
        ];
    }

    /**
     * The values of an order property of type enum (sale/lib/internals/orderprops_variant.php:
     * b_sale_order_props_variant), for the site's person type.
     *
     * @return list<array<string, mixed>>
     */
    private function variants(string $code, bool $withSort): array
    {
        $property = Sale\Internals\OrderPropsTable::getList([
            'select' => ['ID'],
            'filter' => ['=CODE' => $code, '=PERSON_TYPE_ID' => (int) ($this->ids['person_type_id'] ?? 1)],
        ])->fetch();
        if ($property === false) {
            return [];
        }
        $rows = Sale\Internals\OrderPropsVariantTable::getList([
            'select' => ['VALUE', 'NAME', 'SORT'],
            'filter' => ['=ORDER_PROPS_ID' => (int) $property['ID']],
            'order' => ['SORT' => 'ASC', 'ID' => 'ASC'],
        ]);
        $values = [];
        while ($row = $rows->fetch()) {
            $value = ['id' => (string) $row['VALUE'], 'name' => (string) $row['NAME']];
            $values[] = $withSort ? $value + ['sort' => (int) $row['SORT']] : $value;
        }
        return $values;
    }

    /** @param array<string|int, string> $names id => name */
    private static function pairs(array $names): array
    {
        $pairs = [];
        foreach ($names as $id => $name) {
            $pairs[] = ['id' => (string) $id, 'name' => (string) $name];
        }
        return $pairs;
    }

    private static function rows(\Bitrix\Main\DB\Result $result): array
    {
        $rows = [];
        while ($row = $result->fetch()) {
            $rows[] = ['id' => (string) $row['ID'], 'name' => (string) $row['NAME']];
        }
        return $rows;
    }

    /** The order as the webhook describes it (Webhook\Mapper's record). */
    private static function record(Sale\Order $order): array
    {
        $properties = [];
        foreach ($order->getPropertyCollection() as $property) {
            $code = (string) $property->getField('CODE');
            if ($code !== '') {
                $properties[$code] = $property->getValue();
            }
        }
        $basket = [];
        foreach ($order->getBasket() ?? [] as $item) {
            $basket[] = [
                'ID' => $item->getId(),
                'PRODUCT_ID' => $item->getProductId(),
                'NAME' => $item->getField('NAME'),
                'PRICE' => $item->getPrice(),
                'QUANTITY' => $item->getQuantity(),
                'CURRENCY' => $item->getCurrency(),
            ];
        }
        // The first payment names how the buyer pays (sale/lib/payment.php: getPaymentSystemId,
        // getPaymentSystemName); the order says whether all is paid (sale/lib/orderbase.php:
        // isPaid, getSumPaid).
        $payment = null;
        foreach ($order->getPaymentCollection() as $first) {
            $payment = $first;
            break;
        }
        $userId = (int) $order->getUserId();
        $user = $userId > 0 ? UserTable::getList([
            'select' => ['ID', 'NAME', 'LAST_NAME', 'EMAIL', 'PERSONAL_PHONE'],
            'filter' => ['=ID' => $userId],
        ])->fetch() : false;
        return [
            'ID' => $order->getId(),
            'ACCOUNT_NUMBER' => $order->getField('ACCOUNT_NUMBER'),
            'STATUS_ID' => $order->getField('STATUS_ID'),
            'USER_ID' => $userId > 0 ? $userId : null,
            'PRICE' => $order->getPrice(),
            'PRICE_DELIVERY' => $order->getDeliveryPrice(),
            'CURRENCY' => $order->getCurrency(),
            'DATE_INSERT' => self::date($order->getField('DATE_INSERT')),
            'DATE_UPDATE' => self::date($order->getField('DATE_UPDATE')),
            'USER_DESCRIPTION' => $order->getField('USER_DESCRIPTION'),
            'PAYED' => $order->isPaid() ? 'Y' : 'N',
            'SUM_PAID' => $order->getSumPaid(),
            'PAY_SYSTEM_ID' => $payment?->getPaymentSystemId(),
            'PAY_SYSTEM_NAME' => $payment?->getPaymentSystemName(),
            'properties' => $properties,
            'basket' => $basket,
            'user' => $user ?: null,
        ];
    }

    private static function date(mixed $value): ?\DateTimeImmutable
    {
        if (!$value instanceof BitrixDateTime) {
            return null;
        }
        return (new \DateTimeImmutable('@' . $value->getTimestamp()))->setTimezone(new \DateTimeZone(self::TIME_ZONE));
    }

    /** A Bitrix Result that failed becomes the contract's error; a missing product is named. */
    private function check(\Bitrix\Main\Result $result, ?int $productId = null): void
    {
        if ($result->isSuccess()) {
            return;
        }
        foreach ($result->getErrors() as $error) {
            if ($error->getCode() === 'SALE_BASKET_ITEM_WRONG_AVAILABLE_QUANTITY' && $productId !== null) {
                throw ShopError::notAvailable($productId);
            }
        }
        throw ShopError::refused(implode('; ', $result->getErrorMessages()));
    }
}
