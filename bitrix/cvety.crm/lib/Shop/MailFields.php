<?php
declare(strict_types=1);

namespace CvetyCrm\Shop;

/**
 * The buyer's tracking link in the shop's own e-mails: the order property the CRM writes it to,
 * and the field a mail template names it by (`#CRM_TRACK_URL#`). Plain values, no Bitrix:
 * Bitrix\BitrixShop calls it from sale's OnOrderStatusSendEmail.
 */
final class MailFields
{
    /** The order property (type string) that holds the link; the CRM writes it with order.update. */
    public const TRACK_PROPERTY = 'crmTrackUrl';

    /** The mail template's field. */
    public const TRACK_FIELD = 'CRM_TRACK_URL';

    /**
     * The e-mail's fields with the link added (empty when the order has none or it was revoked),
     * so that a template naming #CRM_TRACK_URL# never shows the placeholder itself.
     *
     * @param array<string, mixed> $fields
     * @return array<string, mixed>
     */
    public static function withTrackUrl(array $fields, ?string $url): array
    {
        $url = $url === null ? '' : trim($url);
        $fields[self::TRACK_FIELD] = preg_match('~^https://[^\s<>"]+$~', $url) ? $url : '';
        return $fields;
    }
}
