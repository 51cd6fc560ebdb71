<?php

namespace App\Controllers;

use CodeIgniter\Controller;
use Config\Database;
use RuntimeException;

/**
 * Benchmark app (d): a page shaped like a real one. The session from Redis (CI's RedisHandler, see Config/Session.php)
 * with a visit counter read and written on every request, two SELECTs through the query builder on MariaDB (a small
 * table seeded by the bench), and a ~10 KB view. Route: GET /bench/page (added by the bench setup).
 *
 * The database is the one the bench started (BENCH_DB_PORT; user, password and schema "bench"). The connection is
 * CodeIgniter's shared instance for this config: a long-lived worker keeps it, under FPM it is opened per request.
 */
class BenchPage extends Controller
{
    public function index()
    {
        $session = session();
        $visits  = (int) ($session->get('visits') ?? 0) + 1;
        $session->set('visits', $visits);

        $db = Database::connect(self::database());

        $categories = $db->table('categories')
            ->select('id, name, slug')
            ->orderBy('name')
            ->get()
            ->getResultArray();

        $category = 1 + $visits % count($categories);
        $products = $db->table('products')
            ->select('id, sku, name, price, stock')
            ->where('category_id', $category)
            ->where('stock >', 0)
            ->orderBy('price', 'DESC')
            ->limit(16)
            ->get()
            ->getResultArray();

        return view('bench_page', [
            'visits'     => $visits,
            'categories' => $categories,
            'category'   => $category,
            'products'   => $products,
        ]);
    }

    /** @return array<string, mixed> */
    private static function database(): array
    {
        $port = (int) getenv('BENCH_DB_PORT');
        if ($port === 0) {
            throw new RuntimeException('BENCH_DB_PORT is not set: the bench passes the port of the MariaDB it started');
        }

        return [
            'DSN'      => '',
            'hostname' => '127.0.0.1',
            'username' => 'bench',
            'password' => 'bench',
            'database' => 'bench',
            'DBDriver' => 'MySQLi',
            'DBPrefix' => '',
            'pConnect' => false,
            'DBDebug'  => true,
            'charset'  => 'utf8mb4',
            'DBCollat' => 'utf8mb4_general_ci',
            'swapPre'  => '',
            'encrypt'  => false,
            'compress' => false,
            'strictOn' => false,
            'failover' => [],
            'port'     => $port,
        ];
    }
}
