"""Prepare Junction's template Tryton database after `trytond-admin` has activated `sale`.

Runs inside the project's Tryton venv, in-process (no server):

    python bootstrap.py <trytond.conf> <database>

Creates what a shop-facing ERP needs before sale orders and stock can be written (the EUR
currency, a company owned by the admin user), then seeds enough parties, products and sale
orders that paging at ~10 per page spans several pages. Every seeded record is marked so a
second run adds nothing (the caller also only runs it once, on a fresh database).
"""

import datetime
import sys
from decimal import Decimal

from trytond import config

config.update_etc(sys.argv[1])

from trytond.pool import Pool  # noqa: E402  (needs the config loaded first)
from trytond.transaction import Transaction  # noqa: E402

DATABASE = sys.argv[2]
PARTIES = 34
PRODUCTS = 27
SALES = 23


def main():
    Pool.start()
    pool = Pool(DATABASE)
    pool.init()
    with Transaction().start(DATABASE, 0, context={}) as transaction:
        company = company_and_currency(pool)
        with transaction.set_context(company=company.id):
            seed(pool, company)
        transaction.commit()


def company_and_currency(pool):
    Currency = pool.get('currency.currency')
    Company = pool.get('company.company')
    Party = pool.get('party.party')
    User = pool.get('res.user')
    eur = Currency.search([('code', '=', 'EUR')])
    if eur:
        eur, = eur
    else:
        eur, = Currency.create([{'name': 'Euro', 'code': 'EUR', 'symbol': '€'}])
    companies = Company.search([])
    if companies:
        return companies[0]
    party, = Party.create([{'name': 'Junction Test Shop Ltd'}])
    company, = Company.create([{'party': party.id, 'currency': eur.id}])
    admin, = User.search([('login', '=', 'admin')])
    User.write([admin], {'companies': [('add', [company.id])], 'company': company.id})
    return company


def seed_price(n):
    return Decimal(10 + n) + Decimal('0.50')


def seed(pool, company):
    Party = pool.get('party.party')
    Template = pool.get('product.template')
    Product = pool.get('product.product')
    Uom = pool.get('product.uom')
    Sale = pool.get('sale.sale')
    if Party.search([('name', 'like', 'Seed customer %')]):
        return
    unit, = Uom.search([('symbol', '=', 'u')])
    parties = Party.create([{
        'name': f'Seed customer {n:02}',
        'addresses': [('create', [{
            'street': f'{n} Main Street', 'city': 'Ghent', 'postal_code': f'9{n:03}'}])],
        'contact_mechanisms': [('create', [
            {'type': 'email', 'value': f'seed{n:02}@example.com'},
            {'type': 'phone', 'value': f'+32 9 000 00 {n:02}'}])],
    } for n in range(1, PARTIES + 1)])
    Template.create([{
        'name': f'Seed product {n:02}',
        'type': 'goods',
        'default_uom': unit.id,
        'salable': True,
        'sale_uom': unit.id,
        'list_price': seed_price(n),
        'products': [('create', [{'suffix_code': f'SEED-{n:03}'}])],
    } for n in range(1, PRODUCTS + 1)])
    products = Product.search([('code', 'like', 'SEED-%')], order=[('id', 'ASC')])
    sales = []
    for n in range(SALES):
        party = parties[n % len(parties)]
        address = party.addresses[0]
        lines = []
        for k in range(1 + n % 3):
            product = products[(n + k) % len(products)]
            lines.append({
                'type': 'line', 'product': product.id, 'quantity': 1 + k,
                'unit': unit.id, 'unit_price': seed_price(int(product.code[5:])),
                'description': product.rec_name})
        sales.append({
            'party': party.id, 'invoice_address': address.id,
            'shipment_address': address.id, 'company': company.id,
            'currency': company.currency.id, 'reference': f'SEED-ORDER-{n + 1:03}',
            'sale_date': datetime.date(2026, 1, 1) + datetime.timedelta(days=n),
            'lines': [('create', lines)],
        })
    created = Sale.create(sales)
    # Some sales further along their workflow, so states differ.
    Sale.quote(created[:8])


if __name__ == '__main__':
    main()
