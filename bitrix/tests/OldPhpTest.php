<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use PHPUnit\Framework\TestCase;

/**
 * The files Bitrix parses whatever its PHP (the module list reads install/index.php; the
 * module's include.php runs on every page once installed; the copied entry files) use no syntax
 * newer than PHP 7.0, so an older PHP gets the installer's refusal, never a parse error that
 * takes the site down. The rest of the module needs 8.1 and is loaded only after that check.
 */
final class OldPhpTest extends TestCase
{
    private const FILES = ['include.php', 'install/index.php', 'install/version.php', 'install/tools/gateway.php',
        'install/admin/cvety_crm_outbox.php', 'install/step.php', 'install/unstep1.php', 'install/unstep2.php',
        'options.php', 'admin/outbox.php'];

    public function test_the_files_bitrix_parses_on_any_php_use_no_syntax_newer_than_php_7(): void
    {
        $newer = array_filter([
            'T_MATCH' => defined('T_MATCH') ? T_MATCH : null,
            'T_READONLY' => defined('T_READONLY') ? T_READONLY : null,
            'T_ENUM' => defined('T_ENUM') ? T_ENUM : null,
            'T_NULLSAFE_OBJECT_OPERATOR' => defined('T_NULLSAFE_OBJECT_OPERATOR') ? T_NULLSAFE_OBJECT_OPERATOR : null,
            'T_ATTRIBUTE' => defined('T_ATTRIBUTE') ? T_ATTRIBUTE : null,
            'T_FN' => defined('T_FN') ? T_FN : null,
            'T_COALESCE_EQUAL' => defined('T_COALESCE_EQUAL') ? T_COALESCE_EQUAL : null,
        ]);
        $found = [];
        foreach (self::FILES as $file) {
            $tokens = token_get_all((string) file_get_contents(dirname(__DIR__) . '/cvety.crm/' . $file));
            foreach ($tokens as $index => $token) {
                if (is_array($token) && in_array($token[0], $newer, true)) {
                    $found[] = "$file: " . array_search($token[0], $newer, true);
                }
                // declare(strict_types=1) is fine; typed properties and `mixed`/union types are not.
                if (is_array($token) && $token[0] === T_STRING && in_array(strtolower($token[1]), ['mixed', 'never'], true)) {
                    $found[] = "$file: {$token[1]}";
                }
            }
        }
        self::assertSame([], $found);
    }

    public function test_include_php_loads_nothing_below_php_8_1(): void
    {
        $source = (string) file_get_contents(dirname(__DIR__) . '/cvety.crm/include.php');
        $guard = strpos($source, 'if (PHP_VERSION_ID < 80100)');
        self::assertNotFalse($guard);
        self::assertLessThan(strpos($source, 'spl_autoload_register'), $guard);
    }
}
