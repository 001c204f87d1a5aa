<?php
declare(strict_types=1);

require dirname(__DIR__) . "/cvety.crm/include.php";

spl_autoload_register(static function (string $class): void {
    $prefix = 'CvetyCrm\\Tests\\';
    if (str_starts_with($class, $prefix)) {
        $path = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($path)) {
            require $path;
        }
    }
});

// The double of Bitrix's API (each class names the core file it mirrors), for Bitrix\BitrixShop.
require __DIR__ . '/Double/World.php';
require __DIR__ . '/Double/Main.php';
require __DIR__ . '/Double/Sale.php';
require __DIR__ . '/Double/Legacy.php';
