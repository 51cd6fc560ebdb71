<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Cli;

/** The server could not be installed: what failed, what to do, and what became of an earlier vendor/bin/rr. */
final class InstallFailed extends \RuntimeException
{
    public function __construct(public readonly string $what, public readonly string $todo, public readonly string $kept = '')
    {
        parent::__construct(implode("\n", array_filter([$what, $kept, $todo], static fn ($s) => $s !== "")));
    }

    public function keeping(string $kept): self
    {
        return $this->kept === '' ? new self($this->what, $this->todo, $kept) : $this;
    }
}
