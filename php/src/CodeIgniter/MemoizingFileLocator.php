<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

use CodeIgniter\Autoloader\FileLocator;

/**
 * CodeIgniter's FileLocator with the answers of search() and getClassname() remembered for the life of the worker.
 *
 * Under PHP-FPM every request asks the file system again: Filters looks for each namespace's Config/Filters.php and
 * reads and tokenizes the files it finds (getClassname), helper() and Language search every namespace, and so on,
 * about a tenth of the welcome page's CPU. In a worker the code does not change until the workers are reloaded,
 * which is also what a code change needs anyway, so the answers can be kept. (CI 4.5+ has FileLocatorCached for
 * the same reason, when Config\Optimize enables it; the bridge leaves such an app's locator alone.)
 */
class MemoizingFileLocator extends FileLocator
{
    /** @var array<string, string> */
    private array $classnames = [];
    /** @var array<string, array<mixed>> */
    private array $searches = [];

    /** The two overridden signatures, as FileLocator declares them in CI 4.1-4.7. */
    public static function fits(): bool
    {
        if (! class_exists(FileLocator::class)) {
            return false;
        }
        $signature = static function (string $method): string {
            $m = new \ReflectionMethod(FileLocator::class, $method);
            $params = array_map(static fn (\ReflectionParameter $p): string => (string) $p->getType(), $m->getParameters());

            return implode(',', $params) . ':' . $m->getReturnType();
        };

        return $signature('getClassname') === 'string:string' && $signature('search') === 'string,string,bool:array';
    }

    public function getClassname(string $file): string
    {
        return $this->classnames[$file] ??= parent::getClassname($file);
    }

    public function search(string $path, string $ext = 'php', bool $prioritizeApp = true): array
    {
        return $this->searches[$path . "\0" . $ext . "\0" . ($prioritizeApp ? '1' : '0')] ??= parent::search($path, $ext, $prioritizeApp);
    }
}
