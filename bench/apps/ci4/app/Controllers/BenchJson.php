<?php

namespace App\Controllers;

use CodeIgniter\Controller;
use Config\Database;

/**
 * Benchmark app (c): a JSON endpoint reading SQLite (writable/bench.sqlite, created by bench/apps/ci4/setup-db.php).
 * Route: GET /bench/json (appended to app/Config/Routes.php by the bench setup).
 */
class BenchJson extends Controller
{
    public function index()
    {
        // A custom connection array: the app's own Database config stays untouched. CI keeps it as a shared
        // instance, so a long-lived worker reuses the open SQLite handle; under FPM it is opened per request.
        $db = Database::connect([
            'DSN'      => '',
            'hostname' => '',
            'username' => '',
            'password' => '',
            'database' => WRITEPATH . 'bench.sqlite',
            'DBDriver' => 'SQLite3',
            'DBPrefix' => '',
            'pConnect' => false,
            'DBDebug'  => true,
            'charset'  => 'utf8',
            'DBCollat' => 'utf8_general_ci',
            'swapPre'  => '',
            'encrypt'  => false,
            'compress' => false,
            'strictOn' => false,
            'failover' => [],
            'port'     => 0,
        ]);
        $rows = $db->query('SELECT id, name, price FROM items WHERE id BETWEEN ? AND ? ORDER BY id', [11, 20])
            ->getResultArray();

        return $this->response->setJSON(['count' => count($rows), 'items' => $rows]);
    }
}
