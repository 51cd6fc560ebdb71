<?php

declare(strict_types=1);

namespace Burner\Tests\CodeIgniter;

/** KernelTestCase on CodeIgniter 4.6.5. */
final class Kernel465Test extends KernelTestCase
{
    protected static function version(): string
    {
        return '4.6.5';
    }
}
