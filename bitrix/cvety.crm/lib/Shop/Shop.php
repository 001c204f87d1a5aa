<?php
declare(strict_types=1);

namespace CvetyCrm\Shop;

/**
 * What the kit needs from Bitrix. Bitrix\BitrixShop implements it with Bitrix's own API (the
 * only class that calls it); tests/Fake/SqliteShop stands in for it. Every change goes through
 * the shop's API, so its saves fire sale:OnSaleOrderSaved like any other save.
 */
interface Shop
{
    /** The Bitrix order already made for this CRM order (property crmOrderId), if there is one. */
    public function findOrderByCrmId(string $crmOrderId): ?int;

    /**
     * Creates the order of a CRM order in one save: basket at the CRM's prices, shipment with the
     * delivery price, payment, properties (crmOrderId among them), status. Nothing is saved when
     * a step fails.
     *
     * @param array<string, mixed> $request a checked order.create request (Gateway\Requests)
     * @throws ShopError
     */
    public function createOrder(array $request): int;

    /**
     * Saves an edit made in the CRM in one save: the given properties, USER_DESCRIPTION and the
     * shipment's delivery price; and, when $basket is given, the basket made exactly that (lines
     * found by ID, or by XML_ID = the CRM line's id for lines Bitrix has not numbered yet; lines
     * missing from it removed; new lines added at the CRM's price with that XML_ID, so a repeat
     * adds nothing twice). Nothing is saved when a step fails.
     *
     * Returns whether anything changed, and each field whose value in Bitrix was neither the one
     * the editor saw nor the new one: someone changed it in Bitrix meanwhile, and the CRM's later
     * save replaced it (the rule: the later save wins; the CRM reports what it replaced).
     *
     * @param array{properties: array<string, ?string>, user_description?: ?string, price_delivery?: string} $fields
     * @param list<array{basket_id: ?int, crm_item_id: string, product_id: int, name: string, price: string, quantity: string}>|null $basket
     * @param array{properties: array<string, ?string>, user_description?: ?string, price_delivery?: ?string} $seen
     * @return array{changed: bool, overwritten: list<array{field: string, bitrix: ?string}>}
     * @throws ShopError order_not_found, product_not_found, not_available
     */
    public function updateOrder(int $orderId, array $fields, ?array $basket, array $seen): array;

    /**
     * Sets the status; false when the order already had it (nothing saved).
     *
     * @throws ShopError order_not_found
     */
    public function setStatus(int $orderId, string $statusId): bool;

    /**
     * Sets the catalogue property IN_STOCK to 158 (in stock) or 159 (out of stock).
     *
     * @throws ShopError product_not_found
     */
    public function setAvailability(int $productId, bool $inStock): void;

    /**
     * The orders created on $from..$to (dates in the shop's time zone) with ids above $afterId,
     * by id, at most $limit: id, status_id, price, date_update.
     *
     * @return list<array{id: int, status_id: string, price: string, date_update: string}>
     */
    public function snapshot(\DateTimeImmutable $from, \DateTimeImmutable $to, int $afterId, int $limit): array;

    /**
     * The order as a webhook describes it (see Webhook\Mapper), or null.
     *
     * @return array<string, mixed>|null
     */
    public function orderRecord(int $orderId): ?array;

    /**
     * Ids of existing orders above $afterId, by id, at most $limit: within [$fromId, $toId], or
     * changed since $since.
     *
     * @return list<int>
     */
    public function orderIds(int $afterId, int $limit, ?int $toId, ?\DateTimeImmutable $since): array;

    /**
     * The shop's reference data, as Bitrix names it: the values of the order properties `when`
     * (delivery slots, named like «15:00-16:00»), `city` and `shopId`, the order statuses, the
     * active pay systems and delivery services. Each list by sort, ids as text.
     *
     * @return array{slots: list<array{id: string, name: string, sort: int}>, cities: list<array{id: string, name: string}>,
     *     shops: list<array{id: string, name: string}>, statuses: list<array{id: string, name: string}>,
     *     pay_systems: list<array{id: string, name: string}>, deliveries: list<array{id: string, name: string}>}
     */
    public function reference(): array;

    /**
     * A page of the catalogue's products with ids above $afterId, by id, at most $limit, active
     * or not: id, name, code (the storefront slug), active (Y/N), section (id, name) or null,
     * the base price and its currency (or null), the IN_STOCK value (158/159) or null, the
     * picture's absolute URL or null, and the last change (ISO 8601). With $changedSince, only
     * the products changed since then.
     *
     * @return list<array<string, mixed>>
     */
    public function catalog(int $afterId, int $limit, ?\DateTimeImmutable $changedSince = null): array;
}
