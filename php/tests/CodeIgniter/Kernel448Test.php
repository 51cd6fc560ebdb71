<?php

declare(strict_types=1);

namespace Burner\Tests\CodeIgniter;

/** KernelTestCase on CodeIgniter 4.4.8. */
final class Kernel448Test extends KernelTestCase
{
    protected static function version(): string
    {
        return '4.4.8';
    }
}
