<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

use CodeIgniter\Config\Factories;
use ReflectionClass;
use Throwable;

/**
 * Config objects built once per worker instead of once per request.
 *
 * Building a CodeIgniter config object is costly: BaseConfig's constructor runs the registrars and looks up an
 * environment override (getenv, $_ENV, $_SERVER) for every property and every array element, hundreds of lookups
 * for a page. Under PHP-FPM that happens on each request, and the bridge used to copy that by emptying Factories
 * after each request. Instead, the first time a request uses a config class a pristine instance is built once (after
 * the response), and before every later request Factories is given a clone of it: the same values a fresh
 * construction gives, and whatever a request changes on its copy (CI itself writes to config objects, e.g.
 * Response sets App::$cookieSameSite) is gone with the clone.
 *
 * A class is built per request as before when its values may depend on the request: its constructor is the app's
 * own (a common way to derive baseURL from the Host header), it holds objects (a clone would share them), or
 * Config\Burner lists it in $perRequestConfig. $persistConfig = false turns the whole thing off.
 */
final class ConfigPrototypes
{
    /** @var array<class-string, object|null> the pristine instance per class; null: built per request */
    private array $pristine = [];
    /** @var array<string, class-string> names config() was called with => class */
    private array $aliases = [];
    /** Factories' static map of names to classes: "basenames" before CI 4.4, "aliases" since */
    private ?string $aliasProperty = null;
    /** @var array<string, true> lower-case class names and basenames that stay per request */
    private array $perRequest = [];
    /** Reads Factories' alias map, writes its aliases and instances: bound to Factories once, used per request. */
    private ?\Closure $readAliases = null;
    private ?\Closure $writeConfigs = null;

    /** @param list<string> $perRequest */
    public function __construct(private bool $enabled, array $perRequest)
    {
        foreach ($perRequest as $name) {
            $this->perRequest[strtolower(ltrim((string) $name, '\\'))] = true;
        }
        if ($enabled && class_exists(Factories::class) && method_exists(Factories::class, 'getOptions')) {
            foreach (['aliases', 'basenames'] as $property) {
                if (property_exists(Factories::class, $property) && property_exists(Factories::class, 'instances')) {
                    $this->aliasProperty = $property;
                    break;
                }
            }
        }
        $this->enabled = $enabled && $this->aliasProperty !== null;
    }

    public function enabled(): bool
    {
        return $this->enabled;
    }

    /** After a request, before Factories is emptied: note the config classes it used that can be kept. */
    public function learn(): void
    {
        if (! $this->enabled) {
            return;
        }
        $this->readAliases ??= (static fn (string $property): array => static::${$property}['config'] ?? [])
            ->bindTo(null, Factories::class);
        $aliases = ($this->readAliases)($this->aliasProperty);
        foreach ($aliases as $alias => $class) {
            if (! isset($this->aliases[$alias]) && is_string($class) && $this->keepable($class)) {
                $this->aliases[(string) $alias] = $class;
            }
        }
    }

    /** After Factories was emptied: give it a fresh copy of every kept config, under the names it was asked by. */
    public function restore(): void
    {
        if (! $this->enabled || $this->aliases === []) {
            return;
        }
        $copies = [];
        foreach ($this->aliases as $class) {
            $copies[$class] ??= clone $this->pristine[$class];
        }
        // What Factories itself records when config() builds an instance (names => class, class => instance), in
        // one step; the component's options are set up first, as injectMock() does.
        Factories::getOptions('config');
        $this->writeConfigs ??= (static function (string $property, array $aliases, array $copies): void {
            static::${$property}['config'] = $aliases;
            static::$instances['config'] = $copies;
        })->bindTo(null, Factories::class);
        ($this->writeConfigs)($this->aliasProperty, $this->aliases, $copies);
    }

    /**
     * A config object for framework code that builds one with `new` (e.g. CI 4.1's UserAgent): a clone of the
     * pristine instance when the class can be kept, a new instance otherwise.
     *
     * @template T of object
     * @param class-string<T> $class
     * @return T
     */
    public function fresh(string $class): object
    {
        if ($this->enabled && $this->keepable($class)) {
            return clone $this->pristine[$class];
        }

        return new $class();
    }

    /** @param class-string $class whether config objects of this class are kept (built once per worker) */
    public function keeps(string $class): bool
    {
        return $this->enabled && $this->keepable($class);
    }

    /** @param class-string $class */
    private function keepable(string $class): bool
    {
        if (array_key_exists($class, $this->pristine)) {
            return $this->pristine[$class] !== null;
        }
        $this->pristine[$class] = null;
        if (! class_exists($class)) {
            return false;
        }
        $short = strtolower(substr((string) strrchr('\\' . $class, '\\'), 1));
        if (isset($this->perRequest[strtolower($class)]) || isset($this->perRequest[$short])) {
            return false;
        }
        $reflection = new ReflectionClass($class);
        $constructor = $reflection->getConstructor();
        if (
            $reflection->isAbstract() || ($constructor !== null
            && ((! str_starts_with($constructor->getDeclaringClass()->getName(), 'CodeIgniter\\') && ! self::isStockConstructor($constructor))
                || $constructor->getNumberOfRequiredParameters() > 0))
        ) {
            return false;
        }
        try {
            $instance = new $class();
        } catch (Throwable $e) {
            ErrorPages::logToStderr($e);

            return false;
        }
        foreach ((array) $instance as $value) { // every property, whatever its visibility
            if (self::holdsObject($value)) {
                return false;
            }
        }
        $this->pristine[$class] = $instance;

        return true;
    }

    /**
     * The constructor CodeIgniter's app template gives Config\Database (4.1 to 4.7), comments and spacing aside: it
     * depends on ENVIRONMENT only, a constant, so building the config once gives what every request would build.
     * Without this, every request that touches the database built Config\Database anew (~35 us). Any other
     * constructor of the app's own, even one line more, keeps its class per request.
     */
    private static function isStockConstructor(\ReflectionMethod $constructor): bool
    {
        $file = $constructor->getFileName();
        $start = $constructor->getStartLine();
        $end = $constructor->getEndLine();
        if ($file === false || $start === false || $end === false || $end - $start > 20) {
            return false;
        }
        $lines = @file($file);
        if ($lines === false) {
            return false;
        }
        $code = '';
        foreach (token_get_all('<?php ' . implode('', array_slice($lines, $start - 1, $end - $start + 1))) as $token) {
            if (is_array($token) && in_array($token[0], [T_OPEN_TAG, T_WHITESPACE, T_COMMENT, T_DOC_COMMENT], true)) {
                continue;
            }
            $code .= is_array($token) ? $token[1] : $token;
        }

        return $code === "publicfunction__construct(){parent::__construct();if(ENVIRONMENT==='testing'){\$this->defaultGroup='tests';}}";
    }

    private static function holdsObject(mixed $value): bool
    {
        if (is_object($value)) {
            return true;
        }
        if (is_array($value)) {
            foreach ($value as $item) {
                if (is_object($item) || (is_array($item) && self::holdsObject($item))) {
                    return true;
                }
            }
        }

        return false;
    }
}
