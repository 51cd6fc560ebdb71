<?php

declare(strict_types=1);

// No vendor/ needed: Burner\ maps to php/src, Burner\Tests\ to php/tests.
spl_autoload_register(static function (string $class): void {
    foreach (['Burner\\Tests\\' => __DIR__ . '/', 'Burner\\' => \dirname(__DIR__) . '/src/'] as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }

            return;
        }
    }
});

// PSR-7/17 interfaces and nyholm/psr7 from Debian (php-nyholm-psr7), for the Psr7Worker tests.
foreach (['/usr/share/php/Nyholm/Psr7/autoload.php'] as $autoload) {
    if (is_file($autoload)) {
        require_once $autoload;
    }
}

require_once __DIR__ . '/fixtures/sdk/WorkerProcess.php';

// The CodeIgniter bridge tests may bring their own setup.
if (is_file(__DIR__ . '/CodeIgniter/bootstrap.php')) {
    require_once __DIR__ . '/CodeIgniter/bootstrap.php';
}
