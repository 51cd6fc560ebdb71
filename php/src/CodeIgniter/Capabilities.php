<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/**
 * What the booted CodeIgniter can do, detected once per worker from its files and classes (never from a version
 * string), so versions between the tested ones (4.2, 4.3, 4.5, ...) work by construction. The Generation adapters,
 * StateReset and ErrorPages read these flags instead of probing the framework again.
 */
final class Capabilities
{
    /** Config\Exceptions::handler() and returned responses for redirects/404 (CI 4.4+); before that, exit paths. */
    public readonly bool $exceptionHandlers;
    /** system/Boot.php with its boot steps (CI 4.5+); before that, system/bootstrap.php. */
    public readonly bool $bootClass;
    /** Boot::bootWorker() and CodeIgniter::resetForWorkerMode() (CI 4.7+): one app object for the worker's life. */
    public readonly bool $workerMode;

    // Known once the framework's autoloader is up (afterBoot()).
    /** Services::createRequest() builds the IncomingRequest from the superglobals (CI 4.4+). */
    public bool $createRequest = false;
    /** The `superglobals` service can be refilled per request (CI 4.7+); before 4.7 it is a copy, rebuilt per request. */
    public bool $superglobals = false;
    /** Database\Config::reconnectForWorkerMode() / cleanupForWorkerMode() (CI 4.7+). */
    public bool $dbWorkerHooks = false;
    /** Services::reconnectCacheForWorkerMode() (CI 4.7+). */
    public bool $cacheReconnect = false;
    /** Toolbar::reset() resets every collector (CI 4.7+). */
    public bool $toolbarReset = false;
    /** CodeIgniter::setContext() exists (CI 4.2+) and run() requires it (4.4+). */
    public bool $context = false;
    /** The priority CI gives its own late listeners (Events::PRIORITY_LOW, or the old EVENT_PRIORITY_LOW constant). */
    public int $eventPriorityLow = 200;

    private function __construct(string $system)
    {
        $this->exceptionHandlers = is_file($system . '/Debug/ExceptionHandlerInterface.php');
        $this->bootClass = is_file($system . '/Boot.php');
        if ($this->bootClass) {
            require_once $system . '/Boot.php';
        }
        $this->workerMode = $this->bootClass && method_exists(\CodeIgniter\Boot::class, 'bootWorker');
    }

    /** Before boot: only what the system/ folder shows (the framework's autoloader is not up yet). */
    public static function detect(string $system): self
    {
        return new self($system);
    }

    /** After boot: the class-level features. */
    public function afterBoot(): void
    {
        $services = \CodeIgniter\Config\Services::class;
        $this->createRequest = method_exists($services, 'createRequest');
        $this->superglobals = class_exists(\CodeIgniter\Superglobals::class)
            && method_exists(\CodeIgniter\Superglobals::class, 'setServerArray') && method_exists($services, 'superglobals');
        $this->dbWorkerHooks = method_exists(\CodeIgniter\Database\Config::class, 'reconnectForWorkerMode')
            && method_exists(\CodeIgniter\Database\Config::class, 'cleanupForWorkerMode');
        $this->cacheReconnect = method_exists(\CodeIgniter\Config\BaseService::class, 'reconnectCacheForWorkerMode');
        $this->toolbarReset = method_exists(\CodeIgniter\Debug\Toolbar::class, 'reset');
        $this->context = method_exists(\CodeIgniter\CodeIgniter::class, 'setContext');
        $events = \CodeIgniter\Events\Events::class;
        if (defined($events . '::PRIORITY_LOW')) {
            $this->eventPriorityLow = (int) constant($events . '::PRIORITY_LOW');
        } elseif (defined('EVENT_PRIORITY_LOW')) {
            $this->eventPriorityLow = (int) constant('EVENT_PRIORITY_LOW');
        }
    }
}
