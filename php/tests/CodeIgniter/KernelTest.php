<?php

declare(strict_types=1);

namespace Burner\Tests\CodeIgniter;

/** KernelTestCase on CodeIgniter 4.1.3. */
final class KernelTest extends KernelTestCase
{
    protected static function version(): string
    {
        return '4.1.3';
    }
}
