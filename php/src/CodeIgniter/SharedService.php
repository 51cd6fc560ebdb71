<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/** Sets the shared instance CodeIgniter's Services hand out for a name, as if Services had built it. */
final class SharedService
{
    public static function put(string $name, object $instance): void
    {
        (static function () use ($name, $instance): void {
            static::$instances[$name] = $instance;
        })->bindTo(null, \CodeIgniter\Config\BaseService::class)();
    }
}
