<?php
declare(strict_types=1);

namespace CvetyCrm\Shop;

/**
 * Which fields of an edit made in the CRM replace a change made in Bitrix meanwhile: those whose
 * value in Bitrix before the save was neither the one the editor saw nor the new one. Plain
 * values, no Bitrix: both shops use it.
 */
final class Overwritten
{
    /**
     * @param array{properties: array<string, ?string>, user_description?: ?string, price_delivery?: ?string} $before
     *   the touched fields as Bitrix had them before the save
     * @param array{properties: array<string, ?string>, user_description?: ?string, price_delivery?: ?string} $fields
     * @param array{properties: array<string, ?string>, user_description?: ?string, price_delivery?: ?string} $seen
     * @return list<array{field: string, bitrix: ?string}>
     */
    public static function fields(array $before, array $fields, array $seen): array
    {
        $flat = static function (array $values): array {
            $out = [];
            foreach ($values['properties'] ?? [] as $code => $value) {
                $out[$code] = $value;
            }
            foreach (['user_description', 'price_delivery'] as $own) {
                if (array_key_exists($own, $values)) {
                    $out[$own] = $values[$own];
                }
            }
            return $out;
        };
        [$before, $fields, $seen] = [$flat($before), $flat($fields), $flat($seen)];
        $overwritten = [];
        foreach ($fields as $name => $new) {
            $was = $before[$name] ?? null;
            if (!self::same($name, $was, $seen[$name] ?? null) && !self::same($name, $was, $new)) {
                $overwritten[] = ['field' => $name, 'bitrix' => $was];
            }
        }
        return $overwritten;
    }

    /** Equal as values: money compared as numbers, text trimmed, empty as null. */
    private static function same(string $name, ?string $a, ?string $b): bool
    {
        $a = $a === null || trim($a) === '' ? null : trim($a);
        $b = $b === null || trim($b) === '' ? null : trim($b);
        if ($name === 'price_delivery' && $a !== null && $b !== null && is_numeric($a) && is_numeric($b)) {
            return self::units($a) === self::units($b);
        }
        return $a === $b;
    }

    /** A decimal string to the ten-thousandth, as text (no floats): "1500" and "1500.00" agree. */
    private static function units(string $value): string
    {
        [$whole, $fraction] = array_pad(explode('.', $value, 2), 2, '');
        return (ltrim($whole, '0') ?: '0') . '.' . str_pad(substr($fraction, 0, 4), 4, '0');
    }
}
