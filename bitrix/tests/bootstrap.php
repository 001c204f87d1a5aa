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
