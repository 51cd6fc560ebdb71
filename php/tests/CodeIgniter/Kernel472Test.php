<?php

declare(strict_types=1);

namespace Burner\Tests\CodeIgniter;

/** KernelTestCase on CodeIgniter 4.7.2. */
final class Kernel472Test extends KernelTestCase
{
    protected static function version(): string
    {
        return '4.7.2';
    }
}
