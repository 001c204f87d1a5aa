<?php
declare(strict_types=1);

namespace CvetyCrm\Admin;

/** What the module's admin pages write the same way: escaped text, dates as the shop reads them. */
final class Html
{
    public static function e(mixed $text): string
    {
        return htmlspecialchars((string) $text, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
    }

    /** 25.08.2025 14:05 in the shop's time (Asia/Almaty). */
    public static function time(?int $timestamp): string
    {
        if ($timestamp === null) {
            return '—';
        }
        return (new \DateTimeImmutable('@' . $timestamp))->setTimezone(new \DateTimeZone('Asia/Almaty'))->format('d.m.Y H:i');
    }

    /** A check's mark and text. */
    public static function check(?array $check): string
    {
        if ($check === null) {
            return '';
        }
        $mark = $check['ok'] ? '✓' : '✗';
        $color = $check['ok'] ? '#1a7f37' : '#c62828';
        return sprintf('<div class="cvety-check" style="color:%s">%s %s</div>', $color, $mark, self::e($check['text']));
    }
}
