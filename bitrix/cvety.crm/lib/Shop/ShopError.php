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

    public static function refused(string $detail): self
    {
        return new self('bitrix_refused', 422, 'Битрикс не сохранил заказ: ' . mb_substr($detail, 0, 300));
    }
}
