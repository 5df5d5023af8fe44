// SCIM requests as Okta and Microsoft Entra send them, for the benchmarks: a benchmark that adds or
// drops what the real client sends measures something else. Okta's user lookup and create follow
// its SCIM 2.0 reference (the lookup pages with startIndex=1&count=100, the create carries name,
// emails, displayName, locale, externalId, groups, password and active); Entra's lookup is its
// documented `filter=userName eq` alone. Headers are each client's own.
export const OKTA_HEADERS = { 'content-type': 'application/json; charset=utf-8', accept: 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' };
export const ENTRA_HEADERS = { 'content-type': 'application/scim+json', 'user-agent': 'Microsoft.Identity.Provisioning.Scim/1.0' };

const filterOf = (userName) => encodeURIComponent(`userName eq "${userName}"`);

/** autocannon requests: a lookup of a random seeded user, Okta's and Entra's in turn. */
export function idpLookups(users, auth) {
  let n = 0;
  return {
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => {
          const userName = `user${Math.floor(Math.random() * users)}@bench.example`;
          const okta = n++ % 2 === 0;
          return {
            ...req,
            headers: { ...auth, ...(okta ? OKTA_HEADERS : ENTRA_HEADERS) },
            path: okta ? `/scim/v2/Users?filter=${filterOf(userName)}&startIndex=1&count=100` : `/scim/v2/Users?filter=${filterOf(userName)}`,
          };
        },
      },
    ],
  };
}

/** autocannon requests: Okta's create of a new user (its documented body, a fresh userName each time). */
export function oktaCreates(auth, tag) {
  let n = 0;
  return {
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const i = n++;
          const userName = `new${tag}-${i}@bench.example`;
          return {
            ...req,
            path: '/scim/v2/Users',
            headers: { ...auth, ...OKTA_HEADERS },
            body: JSON.stringify({
              schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
              userName,
              name: { givenName: 'New', familyName: `User ${i}` },
              emails: [{ primary: true, value: userName, type: 'work' }],
              displayName: `New User ${i}`,
              locale: 'en-US',
              externalId: `00u${tag}${i}`,
              groups: [],
              password: `pw-${tag}-${i}`,
              active: true,
            }),
          };
        },
      },
    ],
  };
}
