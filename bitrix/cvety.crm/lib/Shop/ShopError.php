<?php
declare(strict_types=1);

namespace CvetyCrm\Shop;

/** A change Bitrix refused: a stable code, an HTTP status for the gateway, a Russian message. */
final class ShopError extends \RuntimeException
{
    public function __construct(public readonly string $error, public readonly int $status, string $message)
    {
        parent::__construct($message);
    }

    public static function orderNotFound(int $id): self
    {
        return new self('order_not_found', 404, "Заказ $id не найден в Битриксе");
    }

    public static function productNotFound(int $id): self
    {
        return new self('product_not_found', 404, "Товар $id не найден в каталоге Битрикса");
    }

    public static function notAvailable(int $productId): self
    {
        return new self('product_not_available', 409, "Товар $productId нельзя добавить в корзину: его нет в наличии");
    }

    /** The module is not set up for this (a setting or a Bitrix entity is missing): retried once fixed. */
    public static function notConfigured(string $detail): self
    {
        return new self('kit_not_configured', 503, 'Модуль CRM на сайте не настроен: ' . $detail);
    }

    public static function currencyMismatch(string $asked, string $site): self
    {
        return new self('currency_mismatch', 422, "Заказ в валюте $asked, а заказы сайта в $site: Битрикс не сохранит его");
    }

    public static function totalMismatch(string $crm, float $bitrix): self
    {
        return new self('total_mismatch', 422, sprintf('Сумма заказа в CRM %s, а Битрикс насчитал %s: заказ не сохранён',
            $crm, rtrim(rtrim(sprintf('%.2F', $bitrix), '0'), '.')));
    }

    public static function noStockProperty(int $productId, int $iblockId, int $value): self
    {
        return new self('in_stock_missing', 422, "У товара $productId (инфоблок $iblockId) нет свойства IN_STOCK со значением $value: "
            . 'наличие задаётся у товара каталога, не у торгового предложения');
    }

    public static function notKept(int $productId, int $value, ?string $saved): self
    {
        return new self('availability_not_kept', 422, "Битрикс не сохранил наличие товара $productId: записано $value, прочитано "
            . ($saved ?? 'пусто'));
    }

    public static function refused(string $detail): self
    {
        return new self('bitrix_refused', 422, 'Битрикс не сохранил заказ: ' . mb_substr($detail, 0, 300));
    }
}
