<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/**
 * An order record (what Shop::orderRecord and BitrixShop read from Bitrix) as SPEC.md's webhook
 * body: every number a string, dates in ISO 8601 with their offset, the properties the CRM
 * knows, the basket, the buyer, and crm_change_key (null, or the CRM request whose save fired it).
 *
 * A record: ID, ACCOUNT_NUMBER, STATUS_ID, USER_ID, PRICE, PRICE_DELIVERY, CURRENCY,
 * DATE_INSERT, DATE_UPDATE (DateTimeInterface), USER_DESCRIPTION, PAYED (Y/N), SUM_PAID,
 * PAY_SYSTEM_ID, PAY_SYSTEM_NAME (the first payment's), properties (code => value),
 * basket (list of ID, PRODUCT_ID, NAME, PRICE, QUANTITY, CURRENCY), user (ID, NAME, LAST_NAME,
 * EMAIL, PERSONAL_PHONE) or null.
 */
final class Mapper
{
    /** The order property codes the CRM reads (SPEC.md's field map), crmOrderId included. */
    public const PROPERTIES = [
        'nameRecipient', 'phoneRecipient', 'addressRecipient', 'postcardText', 'data', 'city', 'when', 'shopId',
        'crmOrderId',
    ];

    /** @param array<string, mixed> $record */
    public static function body(string $event, array $record, ?string $changeKey, ?string $resend = null): string
    {
        $data = [
            'ID' => self::text($record['ID'] ?? null),
            'ACCOUNT_NUMBER' => self::text($record['ACCOUNT_NUMBER'] ?? null),
            'STATUS_ID' => self::text($record['STATUS_ID'] ?? null),
            'USER_ID' => self::text($record['USER_ID'] ?? null),
            'PRICE' => self::text($record['PRICE'] ?? null),
            'PRICE_DELIVERY' => self::text($record['PRICE_DELIVERY'] ?? null),
            'CURRENCY' => self::text($record['CURRENCY'] ?? null),
            'DATE_INSERT' => self::date($record['DATE_INSERT'] ?? null),
            'DATE_UPDATE' => self::date($record['DATE_UPDATE'] ?? null),
            'USER_DESCRIPTION' => self::text($record['USER_DESCRIPTION'] ?? null),
            'PAYED' => self::text($record['PAYED'] ?? null),
            'SUM_PAID' => self::text($record['SUM_PAID'] ?? null),
            'PAY_SYSTEM_ID' => self::text($record['PAY_SYSTEM_ID'] ?? null),
            'PAY_SYSTEM_NAME' => self::text($record['PAY_SYSTEM_NAME'] ?? null),
            'properties' => self::properties($record['properties'] ?? []),
            'basket' => array_map(static fn (array $line): array => [
                'ID' => self::text($line['ID'] ?? null),
                'PRODUCT_ID' => self::text($line['PRODUCT_ID'] ?? null),
                'NAME' => self::text($line['NAME'] ?? null),
                'PRICE' => self::text($line['PRICE'] ?? null),
                'QUANTITY' => self::text($line['QUANTITY'] ?? null),
                'CURRENCY' => self::text($line['CURRENCY'] ?? null),
            ], array_values($record['basket'] ?? [])),
            'crm_change_key' => $changeKey,
        ];
        if (isset($record['user']) && is_array($record['user'])) {
            $user = $record['user'];
            $data['user'] = [
                'ID' => self::text($user['ID'] ?? null),
                'NAME' => self::text($user['NAME'] ?? null),
                'LAST_NAME' => self::text($user['LAST_NAME'] ?? null),
                'EMAIL' => self::text($user['EMAIL'] ?? null),
                'PERSONAL_PHONE' => self::text($user['PERSONAL_PHONE'] ?? null),
            ];
        }
        if ($resend !== null) {
            // Another request for the same state: a new event for the Worker, applied idempotently.
            $data['resend'] = $resend;
        }
        return json_encode(['event' => $event, 'data' => $data], JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES
            | JSON_INVALID_UTF8_SUBSTITUTE | JSON_THROW_ON_ERROR);
    }

    /** @param array<string, mixed> $properties */
    private static function properties(array $properties): object
    {
        $known = [];
        foreach (self::PROPERTIES as $code) {
            if (array_key_exists($code, $properties)) {
                $value = $properties[$code];
                $known[$code] = is_array($value) ? self::text(reset($value)) : self::text($value);
            }
        }
        return (object) $known;
    }

    private static function text(mixed $value): ?string
    {
        if ($value === null) {
            return null;
        }
        if (is_bool($value)) {
            return $value ? 'Y' : 'N';
        }
        if (is_float($value)) {
            // Bitrix reads DECIMAL columns as floats: four places are exact for money and quantities.
            return rtrim(rtrim(sprintf('%.4F', $value), '0'), '.');
        }
        if (is_scalar($value)) {
            return (string) $value;
        }
        if ($value instanceof \Stringable) {
            return (string) $value;
        }
        return null;
    }

    private static function date(mixed $value): ?string
    {
        if ($value instanceof \DateTimeInterface) {
            return $value->format(DATE_ATOM);
        }
        return self::text($value);
    }
}
