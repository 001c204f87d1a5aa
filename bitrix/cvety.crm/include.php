<?php
// The module's include.php: Bitrix includes it on Loader::includeModule('cvety.crm') (before any
// of its persistent handlers runs). It only registers the autoloader (class CvetyCrm\X\Y lives in
// lib/X/Y.php; no Composer) and tells the kit how to build itself on first use: a page that never
// saves an order pays nothing. Written in PHP 7 syntax, and it does nothing below PHP 8.1, so an
// older PHP never turns a page into a parse error (the installer refuses such a site anyway).
if (PHP_VERSION_ID < 80100) {
    return;
}

spl_autoload_register(static function ($class) {
    $prefix = 'CvetyCrm\\';
    if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
        return;
    }
    $path = __DIR__ . '/lib/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    if (is_file($path)) {
        require $path;
    }
});

if (defined('B_PROLOG_INCLUDED')) {
    \CvetyCrm\Kit::bootLazily([\CvetyCrm\Bitrix\BitrixShop::class, 'kit']);
}
