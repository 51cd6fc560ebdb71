<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Cli;

/**
 * The options of a burner:* command, read from the raw argv. CodeIgniter's own parser (CLI::getOption) knows only
 * `--name value`, and CI 4.1 strips every dash from the option (so `--server=/tmp/burner-server-0.1.0.tgz` would
 * arrive as `server=/tmp/burnerserver0.1.0.tgz`): both `--name=value` and `--name value` are read here instead.
 */
final class Options
{
    /**
     * @param array<string, string|true> $options name => value, or true for a flag
     * @param list<string>                $arguments what is not an option, after the command name
     */
    private function __construct(public readonly array $options, public readonly array $arguments)
    {
    }

    /**
     * @param list<string> $argv   the process's argv: `spark`, options and the command name in any order, then the
     *                             command's words
     * @param list<string> $flags  options that never take a value (`--daemon`), so the next word stays an argument
     */
    public static function parse(array $argv, array $flags = []): self
    {
        $flags[] = 'no-header'; // spark's own flag, which may come before the command name
        $options = [];
        $arguments = [];
        $words = array_values(array_slice($argv, 1));
        $command = false;
        for ($i = 0, $n = count($words); $i < $n; $i++) {
            $word = (string) $words[$i];
            if ($word === '' || $word[0] !== '-' || $word === '-') {
                if ($command) {
                    $arguments[] = $word;
                }
                $command = true;
                continue;
            }
            $name = ltrim($word, '-');
            $eq = strpos($name, '=');
            if ($eq !== false) {
                $options[substr($name, 0, $eq)] = substr($name, $eq + 1);
                continue;
            }
            $next = $words[$i + 1] ?? null;
            if ($command && ! in_array($name, $flags, true) && $next !== null && ($next === '' || $next[0] !== '-')) {
                $options[$name] = (string) $next;
                $i++;
            } else {
                $options[$name] = true;
            }
        }

        return new self($options, $arguments);
    }

    /** For the running spark command. */
    public static function fromGlobals(array $flags = []): self
    {
        $argv = $_SERVER['argv'] ?? [];

        return self::parse(is_array($argv) ? array_values(array_map('strval', $argv)) : [], $flags);
    }

    public function has(string $name): bool
    {
        return array_key_exists($name, $this->options);
    }

    /** The option's value; null when absent; throws when it was given as a bare flag. */
    public function value(string $name): ?string
    {
        if (! $this->has($name)) {
            return null;
        }
        $value = $this->options[$name];
        if ($value === true) {
            throw new \InvalidArgumentException("--{$name} needs a value (--{$name}=<value>)");
        }

        return $value;
    }
}
