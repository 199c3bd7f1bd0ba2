/**
 * The join request of the integration tests: Seven-Corp's, in the shape of the policy document's
 * example (each criterion quoted, the answer below it), asking to subscribe its security alias.
 */
export const APPLICANT = 'jane.doe@seven-corp.test.example';
export const ALIAS = 'istio-security-team@seven-corp.test.example';

export const REQUEST_BODY = `Below are each criterion and why I think we, Seven-Corp, qualify.

> 1. Have an actively monitored security alias email for our project.

Yes, please subscribe ${ALIAS} to the early disclosure list.

> 2. Be involved in redistributing Istio or have a product with close coupling to Istio.

We distribute the "Seven" distribution of Istio. We have been doing this since 2017.

> 3. Have a user base not limited to your own organization.

Our user base spans the extensive "Seven" community.

> 4. Be a participant and active contributor in the Istio community.

Our members Acidburn, Cereal and ZeroCool are well known in the community.

> 5. Accept the Embargo Policy that is outlined above.

We accept.
`;
