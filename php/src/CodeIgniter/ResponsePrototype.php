<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

use Throwable;

/**
 * CI 4.1-4.3: the response each request starts from, built once per worker and handed out as a deep copy.
 *
 * CodeIgniter creates its shared response with `new Response(config('App'))`, whose constructor builds the
 * Content-Security-Policy config (BaseConfig: an environment lookup per property) and sets the cookie defaults: about
 * 15 µs, on every request. The result depends only on config objects the worker keeps (ConfigPrototypes), so a
 * pristine response is built once and serialized; each request gets unserialize() of it (a full copy: its headers,
 * its CSP and cookie store are its own) in the `response` service slot, and the cookie defaults the constructor
 * would have set. Not used when the app's response class is its own or when one of those configs is built per
 * request.
 */
final class ResponsePrototype
{
    private ?string $blueprint = null;
    /** @var array<string, mixed>|null CodeIgniter\Cookie\Cookie's defaults as the constructor leaves them */
    private ?array $cookieDefaults = null;
    private bool $built = false;

    public function __construct(private ConfigPrototypes $configs)
    {
    }

    /** Puts a fresh copy into the `response` service; false when there is none (CodeIgniter then builds it). */
    public function install(): bool
    {
        if (! $this->built) {
            $this->build();
        }
        if ($this->blueprint === null) {
            return false;
        }
        $response = unserialize($this->blueprint);
        if ($this->cookieDefaults !== null) {
            (static function (array $defaults): void {
                static::$defaults = $defaults;
            })->bindTo(null, \CodeIgniter\Cookie\Cookie::class)($this->cookieDefaults);
        }
        SharedService::put('response', $response);

        return true;
    }

    private function build(): void
    {
        $this->built = true;
        foreach ([\Config\App::class, \Config\ContentSecurityPolicy::class, \Config\Cookie::class] as $config) {
            if (class_exists($config) && ! $this->configs->keeps($config)) {
                return;
            }
        }
        try {
            // Exactly as CodeIgniter builds it (Services::response(), the app's override included); only a plain
            // Response is kept: a class of the app's own may do anything in its constructor.
            $response = \Config\Services::response($this->configs->fresh(\Config\App::class), false);
            if (get_class($response) !== \CodeIgniter\HTTP\Response::class) {
                return;
            }
            $blueprint = serialize($response);
            if (class_exists(\CodeIgniter\Cookie\Cookie::class) && property_exists(\CodeIgniter\Cookie\Cookie::class, 'defaults')) {
                $this->cookieDefaults = (static fn (): array => static::$defaults)->bindTo(null, \CodeIgniter\Cookie\Cookie::class)();
            }
            $this->blueprint = $blueprint;
        } catch (Throwable $e) {
            ErrorPages::logToStderr($e);
        }
    }
}
