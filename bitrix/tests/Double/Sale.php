<?php
// The double of the slice of Bitrix's `sale` module the kit calls, on World's b_sale_* tables.
// Each class names the core file (avshatalov48/bitrix-core-business, modules/sale/lib/...) whose
// behaviour it mirrors for the cases the tests cover: above all OrderBase::save(), which turns
// the failures of the basket, the properties and the order's own check into *warnings* and saves
// anyway, in no transaction of its own.
declare(strict_types=1);

namespace Bitrix\Sale {

    use Bitrix\Main;
    use CvetyCrm\Tests\Double\World;

    /** A collection is changed when one of its items is (sale/lib/internals/entitycollection.php). */
    trait ItemsChange
    {
        public function isChanged(): bool
        {
            foreach ($this->items as $item) {
                if ($item->changed) {
                    return true;
                }
            }
            return false;
        }

        public function clearChanged(): void
        {
            foreach ($this->items as $item) {
                $item->changed = false;
            }
        }
    }

    /** sale/lib/resulterror.php */
    class ResultError extends Main\Error
    {
    }

    /** sale/lib/resultwarning.php */
    class ResultWarning extends ResultError
    {
    }

    /** sale/lib/result.php: a Main\Result with warnings (which do not make it fail) and an id. */
    class Result extends Main\Result
    {
        /** @var list<Main\Error> */
        protected array $warnings = [];
        private ?int $id = null;

        public function addWarning(Main\Error $warning): static
        {
            $this->warnings[] = $warning;
            return $this;
        }

        public function addWarnings(array $warnings): static
        {
            foreach ($warnings as $warning) {
                $this->addWarning($warning);
            }
            return $this;
        }

        public function hasWarnings(): bool
        {
            return $this->warnings !== [];
        }

        public function getWarnings(): array
        {
            return $this->warnings;
        }

        public function getWarningMessages(): array
        {
            return array_map(static fn (Main\Error $e): string => $e->getMessage(), $this->warnings);
        }

        public function setId(int $id): void
        {
            $this->id = $id;
        }

        public function getId(): ?int
        {
            return $this->id;
        }
    }

    /** sale/lib/notify.php: setNotifyDisable(true) stops sale's e-mails (and the compatible ones). */
    class Notify
    {
        private static bool $disabled = false;

        public static function setNotifyDisable($value): void
        {
            self::$disabled = ($value === true);
        }

        public static function isNotifyDisabled(): bool
        {
            return self::$disabled;
        }

        /** sale/lib/notify.php callNotify: the e-mail event a save sends, unless disabled. */
        public static function callNotify(Order $order, string $event): void
        {
            if (!self::$disabled) {
                World::$mails[] = $event . ':' . $order->getId();
            }
        }
    }

    /**
     * sale/lib/orderbase.php + order.php. create($siteId, $userId, $currency) takes the site's
     * currency when none is given; setField('CURRENCY') to another value throws
     * Main\NotImplementedException('field CURRENCY') (OrderBase::onFieldModify). save(): the
     * order's verify() (required properties) and the basket's and properties' save failures
     * become warnings, the order row is written anyway; then OnSaleOrderSaved with ENTITY, IS_NEW,
     * IS_CHANGED and VALUES (the original values of the changed fields), then the e-mails.
     */
    class Order
    {
        private array $fields = [];
        /** @var array<string, mixed> field => value before this object's first change of it */
        private array $original = [];
        private ?Basket $basket = null;
        private ?ShipmentCollection $shipments = null;
        private ?PaymentCollection $payments = null;
        private ?PropertyValueCollection $properties = null;
        private bool $isNew = true;

        public static function create($siteId, $userId = null, $currency = null): self
        {
            $order = new self();
            $order->fields = ['LID' => $siteId, 'USER_ID' => (int) $userId > 0 ? (int) $userId : null,
                'CURRENCY' => $currency ?? Internals\SiteCurrencyTable::getSiteCurrency($siteId), 'STATUS_ID' => 'N',
                'PERSON_TYPE_ID' => null, 'PRICE' => 0.0, 'PRICE_DELIVERY' => 0.0, 'USER_DESCRIPTION' => null];
            return $order;
        }

        public static function load($id): ?self
        {
            $row = World::rows('SELECT * FROM b_sale_order WHERE ID = ?', [(int) $id])[0] ?? null;
            if ($row === null) {
                return null;
            }
            $order = new self();
            $order->isNew = false;
            $order->fields = $row;
            $order->fields['DATE_INSERT'] = Main\Type\DateTime::createFromTimestamp((int) $row['DATE_INSERT']);
            $order->fields['DATE_UPDATE'] = Main\Type\DateTime::createFromTimestamp((int) $row['DATE_UPDATE']);
            $order->basket = Basket::loadItemsForOrder($order);
            $order->shipments = ShipmentCollection::load($order);
            $order->payments = PaymentCollection::load($order);
            return $order;
        }

        /** sale/lib/orderbase.php getList (the double knows the filters >ID and <=ID, and limit). */
        public static function getList(array $parameters): Main\DB\ArrayResult
        {
            $filter = $parameters['filter'] ?? [];
            $rows = World::rows('SELECT * FROM b_sale_order WHERE ID > ? AND ID <= ? ORDER BY ID LIMIT ' . (int) ($parameters['limit'] ?? 1000000),
                [(int) ($filter['>ID'] ?? 0), (int) ($filter['<=ID'] ?? PHP_INT_MAX)]);
            return new Main\DB\ArrayResult($rows);
        }

        public function getId(): int
        {
            return (int) ($this->fields['ID'] ?? 0);
        }

        public function setPersonTypeId($id): Result
        {
            return $this->setField('PERSON_TYPE_ID', (int) $id);
        }

        public function setField(string $name, mixed $value): Result
        {
            $old = $this->fields[$name] ?? null;
            if ($old == $value && array_key_exists($name, $this->fields)) {
                return new Result();
            }
            if ($name === 'CURRENCY') {
                throw new Main\NotImplementedException('field CURRENCY');
            }
            if (!array_key_exists($name, $this->original)) {
                $this->original[$name] = $old;
            }
            $this->fields[$name] = $value;
            return new Result();
        }

        public function getField(string $name): mixed
        {
            return $this->fields[$name] ?? null;
        }

        public function setBasket(Basket $basket): Result
        {
            $basket->setOrder($this);
            $this->basket = $basket;
            $this->refresh();
            return new Result();
        }

        public function getBasket(): ?Basket
        {
            return $this->basket;
        }

        public function getShipmentCollection(): ShipmentCollection
        {
            return $this->shipments ??= new ShipmentCollection($this);
        }

        public function getPaymentCollection(): PaymentCollection
        {
            return $this->payments ??= new PaymentCollection($this);
        }

        public function getPropertyCollection(): PropertyValueCollection
        {
            return $this->properties ??= PropertyValueCollection::load($this);
        }

        /** The order's price follows its basket and delivery (OrderBase::refreshInternal, Order::onShipmentCollectionModify). */
        public function refresh(): void
        {
            $delivery = 0.0;
            foreach ($this->getShipmentCollection() as $shipment) {
                $delivery += (float) $shipment->getField('PRICE_DELIVERY');
            }
            $this->fields['PRICE_DELIVERY'] = $delivery;
            $this->fields['PRICE'] = ($this->basket?->getPrice() ?? 0.0) + $delivery;
        }

        public function getPrice(): float
        {
            return (float) $this->fields['PRICE'];
        }

        public function getDeliveryPrice(): float
        {
            return (float) $this->fields['PRICE_DELIVERY'];
        }

        public function getCurrency(): string
        {
            return (string) $this->fields['CURRENCY'];
        }

        public function getSiteId(): string
        {
            return (string) $this->fields['LID'];
        }

        public function getUserId(): ?int
        {
            return isset($this->fields['USER_ID']) ? (int) $this->fields['USER_ID'] : null;
        }

        public function getPersonTypeId(): int
        {
            return (int) $this->fields['PERSON_TYPE_ID'];
        }

        public function isPaid(): bool
        {
            return $this->getSumPaid() >= $this->getPrice() && $this->getPrice() > 0;
        }

        public function getSumPaid(): float
        {
            $paid = 0.0;
            foreach ($this->getPaymentCollection() as $payment) {
                $paid += $payment->getField('PAID') === 'Y' ? (float) $payment->getField('SUM') : 0.0;
            }
            return $paid;
        }

        public function isChanged(): bool
        {
            return $this->original !== [] || ($this->basket?->isChanged() ?? false)
                || ($this->properties?->isChanged() ?? false) || $this->getShipmentCollection()->isChanged();
        }

        public function save(): Result
        {
            $result = new Result();
            $this->refresh();
            // OrderBase::verify() → entitypropertyvalue.php verify()/checkValue(): a required
            // property left empty is an error coded PROPERTIES[<id>], which save() adds as a warning.
            foreach ($this->getPropertyCollection() as $index => $property) {
                if ($property->isRequired() && trim((string) $property->getValue()) === '') {
                    $result->addWarning(new ResultError("Поле «{$property->getField('NAME')}» обязательно для заполнения", 'PROPERTIES[' . ($index + 1) . ']'));
                }
            }
            $isNew = $this->isNew;
            $isChanged = $this->isChanged();
            $now = time();
            $columns = ['LID', 'PERSON_TYPE_ID', 'USER_ID', 'STATUS_ID', 'PRICE', 'PRICE_DELIVERY', 'CURRENCY', 'USER_DESCRIPTION'];
            $values = array_map(fn (string $c): mixed => $this->fields[$c] ?? null, $columns);
            if ($isNew) {
                World::rows('INSERT INTO b_sale_order (' . implode(', ', $columns) . ', DATE_INSERT, DATE_UPDATE, VERSION)
                    VALUES (' . implode(', ', array_fill(0, count($columns), '?')) . ', ?, ?, 1)', [...$values, $now, $now]);
                $this->fields['ID'] = (int) World::$pdo->lastInsertId();
                $this->fields['ACCOUNT_NUMBER'] = (string) $this->fields['ID'];
                World::rows('UPDATE b_sale_order SET ACCOUNT_NUMBER = ? WHERE ID = ?', [$this->fields['ACCOUNT_NUMBER'], $this->getId()]);
                $this->fields['DATE_INSERT'] = Main\Type\DateTime::createFromTimestamp($now);
            } elseif ($isChanged) {
                World::rows('UPDATE b_sale_order SET ' . implode(', ', array_map(static fn (string $c): string => "$c = ?", $columns))
                    . ', DATE_UPDATE = ? WHERE ID = ?', [...$values, $now, $this->getId()]);
            }
            $this->fields['DATE_UPDATE'] = Main\Type\DateTime::createFromTimestamp($now);
            // OrderBase::saveEntities(): each failure a warning, the order stays saved.
            $basket = $this->basket?->save() ?? new Result();
            $result->addWarnings($basket->getErrors());
            $properties = $this->getPropertyCollection()->save();
            $result->addWarnings($properties->getErrors());
            $this->getShipmentCollection()->save();
            $this->getPaymentCollection()->save();
            $result->setId($this->getId());
            $event = new Main\Event('sale', 'OnSaleOrderSaved', [
                'ENTITY' => $this, 'IS_NEW' => $isNew, 'IS_CHANGED' => $isChanged, 'VALUES' => $this->original,
            ]);
            $event->send();
            if ($isNew) {
                Notify::callNotify($this, 'SALE_NEW_ORDER');
            } elseif (array_key_exists('STATUS_ID', $this->original)) {
                Notify::callNotify($this, 'SALE_STATUS_CHANGED_' . $this->fields['STATUS_ID']);
            }
            $this->isNew = false;
            $this->original = [];
            $this->basket?->clearChanged();
            $this->properties?->clearChanged();
            $this->getShipmentCollection()->clearChanged();
            return $result;
        }
    }

    abstract class BasketBase implements \IteratorAggregate
    {
    }

    abstract class BasketItemBase
    {
    }

    /** sale/lib/basketbase.php + basket.php: items by internal index; getPrice() = Σ price × quantity. */
    class Basket extends BasketBase
    {
        /** @var array<int, BasketItem> */
        private array $items = [];
        private ?Order $order = null;
        private bool $changed = false;
        private static int $index = 0;

        public static function create(string $siteId): self
        {
            return new self();
        }

        public static function loadItemsForOrder(Order $order): self
        {
            $basket = new self();
            $basket->order = $order;
            foreach (World::rows('SELECT * FROM b_sale_basket WHERE ORDER_ID = ? ORDER BY ID', [$order->getId()]) as $row) {
                $item = new BasketItem($basket, (int) $row['PRODUCT_ID'], ++self::$index, $row);
                $basket->items[$item->getInternalIndex()] = $item;
            }
            return $basket;
        }

        public function setOrder(Order $order): void
        {
            $this->order = $order;
        }

        public function getOrder(): ?Order
        {
            return $this->order;
        }

        public function createItem(string $module, int $productId): BasketItem
        {
            $item = new BasketItem($this, $productId, ++self::$index);
            $this->items[$item->getInternalIndex()] = $item;
            $this->changed = true;
            return $item;
        }

        public function remove(BasketItem $item): void
        {
            unset($this->items[$item->getInternalIndex()]);
            $this->changed = true;
        }

        public function getIterator(): \ArrayIterator
        {
            return new \ArrayIterator(array_values($this->items));
        }

        public function getPrice(): float
        {
            $sum = 0.0;
            foreach ($this->items as $item) {
                $sum += $item->getPrice() * $item->getQuantity();
            }
            return $sum;
        }

        public function markChanged(): void
        {
            $this->changed = true;
            $this->order?->refresh();
        }

        public function isChanged(): bool
        {
            return $this->changed;
        }

        public function clearChanged(): void
        {
            $this->changed = false;
        }

        /** BasketBase::save(): writes the lines; the order's id goes on each. */
        public function save(): Result
        {
            $orderId = $this->order?->getId() ?? 0;
            $kept = [];
            foreach ($this->items as $item) {
                $kept[] = $item->save($orderId);
            }
            World::rows('DELETE FROM b_sale_basket WHERE ORDER_ID = ?' . ($kept === [] ? '' : ' AND ID NOT IN (' . implode(',', $kept) . ')'), [$orderId]);
            return new Result();
        }
    }

    /**
     * sale/lib/basketitembase.php: setField('QUANTITY') asks the product's provider how much it can
     * sell; less than asked (a product the catalogue does not have: none) is the error
     * SALE_BASKET_AVAILABLE_QUANTITY, and the quantity is not set.
     */
    class BasketItem extends BasketItemBase
    {
        private array $fields;

        public function __construct(private Basket $basket, private int $productId, private int $index, array $row = [])
        {
            $this->fields = $row + ['PRODUCT_ID' => $productId, 'QUANTITY' => 0.0, 'PRICE' => 0.0];
        }

        public function setFields(array $fields): Result
        {
            $result = new Result();
            foreach ($fields as $name => $value) {
                $result->addErrors($this->setField($name, $value)->getErrors());
            }
            return $result;
        }

        public function setField(string $name, mixed $value): Result
        {
            $result = new Result();
            if ($name === 'QUANTITY') {
                $available = isset(World::$elements[$this->productId]) ? (World::$stock[$this->productId] ?? INF) : 0.0;
                if ((float) $value > $available) {
                    return $result->addError(new ResultError(
                        "Товар «{$this->getField('NAME')}» доступен в количестве $available", 'SALE_BASKET_AVAILABLE_QUANTITY'));
                }
            }
            $this->fields[$name] = $value;
            $this->basket->markChanged();
            return $result;
        }

        public function getField(string $name): mixed
        {
            return $this->fields[$name] ?? null;
        }

        public function getId(): int
        {
            return (int) ($this->fields['ID'] ?? 0);
        }

        public function getProductId(): int
        {
            return $this->productId;
        }

        public function getQuantity(): float
        {
            return (float) $this->fields['QUANTITY'];
        }

        public function getPrice(): float
        {
            return (float) $this->fields['PRICE'];
        }

        public function getCurrency(): ?string
        {
            return $this->fields['CURRENCY'] ?? null;
        }

        public function getInternalIndex(): int
        {
            return $this->index;
        }

        public function delete(): Result
        {
            $this->basket->remove($this);
            $this->basket->markChanged();
            return new Result();
        }

        public function save(int $orderId): int
        {
            $values = [$orderId, $this->productId, $this->fields['NAME'] ?? '', $this->getPrice(), $this->getQuantity(),
                $this->fields['CURRENCY'] ?? null, $this->fields['XML_ID'] ?? null, $this->fields['CUSTOM_PRICE'] ?? 'N'];
            if ($this->getId() > 0) {
                World::rows('UPDATE b_sale_basket SET ORDER_ID = ?, PRODUCT_ID = ?, NAME = ?, PRICE = ?, QUANTITY = ?, CURRENCY = ?,
                    XML_ID = ?, CUSTOM_PRICE = ? WHERE ID = ?', [...$values, $this->getId()]);
            } else {
                World::rows('INSERT INTO b_sale_basket (ORDER_ID, PRODUCT_ID, NAME, PRICE, QUANTITY, CURRENCY, XML_ID, CUSTOM_PRICE)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)', $values);
                $this->fields['ID'] = (int) World::$pdo->lastInsertId();
            }
            return $this->getId();
        }
    }

    /** sale/lib/shipmentcollection.php: the order's shipments (the double keeps no system one). */
    class ShipmentCollection implements \IteratorAggregate
    {
        /** @var list<Shipment> */
        private array $items = [];

        public function __construct(private Order $order)
        {
        }

        public static function load(Order $order): self
        {
            $collection = new self($order);
            foreach (World::rows('SELECT * FROM b_sale_order_delivery WHERE ORDER_ID = ?', [$order->getId()]) as $row) {
                $collection->items[] = new Shipment($order, $row);
            }
            return $collection;
        }

        public function createItem(?object $service = null): Shipment
        {
            $shipment = new Shipment($this->order, ['DELIVERY_ID' => $service?->getId(), 'PRICE_DELIVERY' => 0.0]);
            $shipment->changed = true;
            $this->items[] = $shipment;
            return $shipment;
        }

        public function getIterator(): \ArrayIterator
        {
            return new \ArrayIterator($this->items);
        }

        use ItemsChange;

        public function save(): void
        {
            foreach ($this->items as $item) {
                $item->save();
            }
        }
    }

    /** sale/lib/shipment.php: setFields() with the delivery price recalculates the order. */
    class Shipment
    {
        public bool $changed = false;

        public function __construct(private Order $order, private array $fields)
        {
        }

        public function setFields(array $fields): Result
        {
            foreach ($fields as $name => $value) {
                if (($this->fields[$name] ?? null) != $value) {
                    $this->changed = true;
                }
                $this->fields[$name] = $value;
            }
            $this->order->refresh();
            return new Result();
        }

        public function getField(string $name): mixed
        {
            return $this->fields[$name] ?? null;
        }

        public function isSystem(): bool
        {
            return false;
        }

        public function getShipmentItemCollection(): ShipmentItemCollection
        {
            return new ShipmentItemCollection();
        }

        public function save(): void
        {
            if (isset($this->fields['ID'])) {
                World::rows('UPDATE b_sale_order_delivery SET PRICE_DELIVERY = ? WHERE ID = ?', [(float) $this->fields['PRICE_DELIVERY'], $this->fields['ID']]);
                return;
            }
            World::rows('INSERT INTO b_sale_order_delivery (ORDER_ID, DELIVERY_ID, PRICE_DELIVERY, CURRENCY) VALUES (?, ?, ?, ?)',
                [$this->order->getId(), $this->fields['DELIVERY_ID'], (float) $this->fields['PRICE_DELIVERY'], $this->fields['CURRENCY'] ?? null]);
            $this->fields['ID'] = (int) World::$pdo->lastInsertId();
        }
    }

    /** sale/lib/shipmentitemcollection.php */
    class ShipmentItemCollection
    {
        public function createItem(BasketItem $item): ShipmentItem
        {
            return new ShipmentItem();
        }
    }

    /** sale/lib/shipmentitem.php */
    class ShipmentItem
    {
        public function setQuantity($quantity): Result
        {
            return new Result();
        }
    }

    /** sale/lib/paymentcollection.php */
    class PaymentCollection implements \IteratorAggregate
    {
        /** @var list<Payment> */
        private array $items = [];

        public function __construct(private Order $order)
        {
        }

        public static function load(Order $order): self
        {
            $collection = new self($order);
            foreach (World::rows('SELECT * FROM b_sale_order_payment WHERE ORDER_ID = ?', [$order->getId()]) as $row) {
                $collection->items[] = new Payment($order, $row);
            }
            return $collection;
        }

        public function createItem(?object $service = null): Payment
        {
            $payment = new Payment($this->order, ['PAY_SYSTEM_ID' => $service?->getId(), 'PAY_SYSTEM_NAME' => $service?->getField('NAME'), 'PAID' => 'N']);
            $this->items[] = $payment;
            return $payment;
        }

        public function getIterator(): \ArrayIterator
        {
            return new \ArrayIterator($this->items);
        }

        public function save(): void
        {
            foreach ($this->items as $item) {
                $item->save();
            }
        }
    }

    /** sale/lib/payment.php: setField() answers a Result. */
    class Payment
    {
        public function __construct(private Order $order, private array $fields)
        {
        }

        public function setField(string $name, mixed $value): Result
        {
            $this->fields[$name] = $value;
            return new Result();
        }

        public function getField(string $name): mixed
        {
            return $this->fields[$name] ?? null;
        }

        public function getPaymentSystemId(): ?int
        {
            return isset($this->fields['PAY_SYSTEM_ID']) ? (int) $this->fields['PAY_SYSTEM_ID'] : null;
        }

        public function getPaymentSystemName(): ?string
        {
            return $this->fields['PAY_SYSTEM_NAME'] ?? null;
        }

        public function save(): void
        {
            if (!isset($this->fields['ID'])) {
                World::rows('INSERT INTO b_sale_order_payment (ORDER_ID, PAY_SYSTEM_ID, SUM, CURRENCY, PAID) VALUES (?, ?, ?, ?, ?)',
                    [$this->order->getId(), $this->fields['PAY_SYSTEM_ID'], (float) ($this->fields['SUM'] ?? 0), $this->fields['CURRENCY'] ?? null, $this->fields['PAID']]);
                $this->fields['ID'] = (int) World::$pdo->lastInsertId();
            }
        }
    }

    /**
     * sale/lib/propertyvaluecollectionbase.php: the order's values of the person type's
     * properties; save() writes them, and a failure is an error of its Result (which
     * OrderBase::save turns into a warning). World::$failPropertySave makes it fail.
     */
    class PropertyValueCollection implements \IteratorAggregate
    {
        /** @var list<PropertyValue> */
        private array $items = [];

        public static function load(Order $order): self
        {
            $collection = new self();
            $stored = [];
            foreach (World::rows('SELECT CODE, VALUE FROM b_sale_order_props_value WHERE ORDER_ID = ?', [$order->getId()]) as $row) {
                $stored[$row['CODE']] = $row['VALUE'];
            }
            foreach (World::$orderProperties as $property) {
                if ($property['person_type'] === $order->getPersonTypeId() || $order->getPersonTypeId() === 0) {
                    $collection->items[] = new PropertyValue($order, $property, $stored[$property['code']] ?? null);
                }
            }
            return $collection;
        }

        public function getIterator(): \ArrayIterator
        {
            return new \ArrayIterator($this->items);
        }

        use ItemsChange;

        public function save(): Result
        {
            $result = new Result();
            if (World::$failPropertySave) {
                return $result->addError(new ResultError('Ошибка сохранения свойств заказа', 'SALE_PROPERTY_SAVE'));
            }
            foreach ($this->items as $item) {
                $item->save();
            }
            return $result;
        }
    }

    /** sale/lib/entitypropertyvalue.php: setValue() is setField('VALUE') and answers a Result. */
    class PropertyValue
    {
        public bool $changed = false;

        public function __construct(private Order $order, private array $property, private mixed $value)
        {
        }

        public function getField(string $name): mixed
        {
            return match ($name) {
                'CODE' => $this->property['code'],
                'NAME' => $this->property['name'],
                'VALUE' => $this->value,
                default => null,
            };
        }

        public function isRequired(): bool
        {
            return $this->property['required'];
        }

        public function getValue(): mixed
        {
            return $this->value;
        }

        public function setValue(mixed $value): Result
        {
            if ($this->value !== $value) {
                $this->value = $value;
                $this->changed = true;
            }
            return new Result();
        }

        public function save(): void
        {
            World::rows('DELETE FROM b_sale_order_props_value WHERE ORDER_ID = ? AND CODE = ?', [$this->order->getId(), $this->property['code']]);
            if ($this->value !== null && $this->value !== '') {
                World::rows('INSERT INTO b_sale_order_props_value (ORDER_ID, CODE, VALUE) VALUES (?, ?, ?)',
                    [$this->order->getId(), $this->property['code'], (string) $this->value]);
            }
        }
    }

    /** sale/lib/orderstatus.php */
    class OrderStatus
    {
        /** @return array<string, string> */
        public static function getAllStatusesNames($lang = null): array
        {
            return World::$statuses;
        }
    }
}

namespace Bitrix\Sale\Internals {

    use Bitrix\Main\DB\ArrayResult;
    use CvetyCrm\Tests\Double\World;

    /** sale/lib/internals/persontype.php (b_sale_person_type): by =ID. */
    class PersonTypeTable
    {
        public static function getList(array $parameters): ArrayResult
        {
            $id = (int) ($parameters['filter']['=ID'] ?? 0);
            return new ArrayResult($id === 1 ? [['ID' => 1, 'NAME' => 'Физическое лицо']] : []);
        }
    }

    /** sale/lib/internals/sitecurrency.php: the currency of a site's orders. */
    class SiteCurrencyTable
    {
        public static function getSiteCurrency(string $siteId): string
        {
            return World::$siteCurrency;
        }
    }

    /** sale/lib/internals/orderpropsvalue.php (b_sale_order_props_value): by =CODE and =VALUE. */
    class OrderPropsValueTable
    {
        public static function getList(array $parameters): ArrayResult
        {
            return new ArrayResult(World::rows('SELECT ORDER_ID FROM b_sale_order_props_value WHERE CODE = ? AND VALUE = ? LIMIT 1',
                [$parameters['filter']['=CODE'], $parameters['filter']['=VALUE']]));
        }
    }

    /** sale/lib/internals/orderprops.php (b_sale_order_props): by =CODE and =PERSON_TYPE_ID. */
    class OrderPropsTable
    {
        public static function getList(array $parameters): ArrayResult
        {
            $rows = [];
            foreach (World::$orderProperties as $index => $property) {
                if ($property['code'] === ($parameters['filter']['=CODE'] ?? null)
                    && $property['person_type'] === (int) ($parameters['filter']['=PERSON_TYPE_ID'] ?? 0)) {
                    $rows[] = ['ID' => $index + 1, 'CODE' => $property['code'], 'NAME' => $property['name']];
                }
            }
            return new ArrayResult($rows);
        }
    }
}

namespace Bitrix\Sale\Delivery\Services {

    /** sale/lib/delivery/services/manager.php: getObjectById() is the service, or null. */
    class Manager
    {
        public static function getObjectById(int $id): ?object
        {
            return isset(\CvetyCrm\Tests\Double\World::$deliveries[$id]) ? new \CvetyCrm\Tests\Double\Service($id, \CvetyCrm\Tests\Double\World::$deliveries[$id]) : null;
        }
    }
}

namespace Bitrix\Sale\PaySystem {

    /** sale/lib/paysystem/manager.php: getObjectById() is the service, or null. */
    class Manager
    {
        public static function getObjectById(int $id): ?object
        {
            return isset(\CvetyCrm\Tests\Double\World::$paySystems[$id]) ? new \CvetyCrm\Tests\Double\Service($id, \CvetyCrm\Tests\Double\World::$paySystems[$id]) : null;
        }
    }
}
