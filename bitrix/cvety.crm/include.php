<?php
// The kit's autoloader: class CvetyCrm\X\Y lives in lib/X/Y.php. No Composer (its registry is
// out of reach of the shop's server and of this repository's CI).
declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    $prefix = 'CvetyCrm\\';
    if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
        return;
    }
    $path = __DIR__ . '/lib/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    if (is_file($path)) {
        require $path;
    }
});
